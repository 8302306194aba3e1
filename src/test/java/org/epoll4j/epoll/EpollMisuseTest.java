// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.epoll;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.epoll4j.kernel.EventFd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/** Use after close and use from the wrong thread: unchecked exceptions, never a crash. */
class EpollMisuseTest {

    @Test
    void everyCallOnAClosedEpollThrowsIllegalStateException() throws Exception {
        try (EventFd eventFd = EventFd.open(); EpollEvents events = EpollEvents.allocate(4)) {
            Epoll epoll = Epoll.open();
            epoll.add(eventFd.fd(), Epoll.IN, 1);
            epoll.close();
            assertFalse(epoll.isOpen());
            assertThrows(IllegalStateException.class, epoll::fd);
            assertThrows(IllegalStateException.class, () -> epoll.add(eventFd.fd(), Epoll.IN, 1));
            assertThrows(IllegalStateException.class, () -> epoll.modify(eventFd.fd(), Epoll.IN, 1));
            assertThrows(IllegalStateException.class, () -> epoll.delete(eventFd.fd()));
            assertThrows(IllegalStateException.class, () -> epoll.wait(events, 0));
            assertThrows(IllegalStateException.class, () -> epoll.wait(events, -1));
            assertThrows(IllegalStateException.class, () -> epoll.wait(events, Duration.ZERO));
        }
    }

    @Test
    void closingAnEpollTwiceIsHarmless() throws Exception {
        Epoll epoll = Epoll.open();
        epoll.close();
        epoll.close();
        assertFalse(epoll.isOpen());
    }

    @Test
    void everyCallOnClosedEpollEventsThrowsIllegalStateException() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd eventFd = EventFd.open()) {
            EpollEvents events = EpollEvents.allocate(4);
            epoll.add(eventFd.fd(), Epoll.IN, 1);
            eventFd.signal();
            assertEquals(1, epoll.wait(events, 0));
            events.close();
            assertFalse(events.isOpen());
            assertThrows(IllegalStateException.class, () -> events.events(0));
            assertThrows(IllegalStateException.class, () -> events.data(0));
            assertThrows(IllegalStateException.class, events::segment);
            assertThrows(IllegalStateException.class, () -> epoll.wait(events, 0));
            assertThrows(IllegalStateException.class, () -> epoll.wait(events, 10));
            assertThrows(IllegalStateException.class, () -> epoll.wait(events, Duration.ofMillis(10)));
            assertTrue(epoll.isOpen(), "the Epoll outlives the array");
        }
    }

    @Test
    void closingEpollEventsTwiceIsHarmless() {
        EpollEvents events = EpollEvents.allocate(1);
        events.close();
        events.close();
        assertFalse(events.isOpen());
    }

    @Test
    void entriesBeyondWhatTheLastWaitFilledCannotBeRead() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4)) {
            assertThrows(IndexOutOfBoundsException.class, () -> events.events(0));
            assertEquals(0, epoll.wait(events, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> events.data(0));
            assertThrows(IndexOutOfBoundsException.class, () -> events.events(-1));
        }
    }

    @Test
    @Timeout(10)
    void usingAnEpollFromAnotherThreadThrowsWrongThreadException() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd eventFd = EventFd.open()) {
            epoll.add(eventFd.fd(), Epoll.IN, 1);
            assertWrongThread(epoll::fd);
            assertWrongThread(() -> epoll.add(eventFd.fd(), Epoll.IN, 1));
            assertWrongThread(() -> epoll.modify(eventFd.fd(), Epoll.OUT, 1));
            assertWrongThread(() -> epoll.delete(eventFd.fd()));
            assertWrongThread(() -> {
                try (EpollEvents events = EpollEvents.allocate(1)) {
                    epoll.wait(events, 0);
                }
            });
            assertWrongThread(() -> {
                try (EpollEvents events = EpollEvents.allocate(1)) {
                    epoll.wait(events, Duration.ZERO);
                }
            });
            assertWrongThread(epoll::close);
            assertTrue(epoll.isOpen(), "a refused close leaves the Epoll open");
            epoll.delete(eventFd.fd()); // still registered: the intruder's calls did nothing
        }
    }

    @Test
    @Timeout(10)
    void usingEpollEventsFromAnotherThreadThrowsWrongThreadException() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd eventFd = EventFd.open();
             EpollEvents events = EpollEvents.allocate(4)) {
            epoll.add(eventFd.fd(), Epoll.IN, 1);
            eventFd.signal();
            assertEquals(1, epoll.wait(events, 0));
            assertWrongThread(() -> events.events(0));
            assertWrongThread(() -> events.data(0));
            assertWrongThread(() -> events.segment().get(JAVA_INT, 0));
            assertWrongThread(events::close);
            assertTrue(events.isOpen(), "a refused close leaves the array open");
            assertEquals(1, events.data(0));
        }
    }

    @Test
    @Timeout(10)
    void waitingIntoEpollEventsOfAnotherThreadThrowsWrongThreadException() throws Exception {
        AtomicReference<EpollEvents> theirs = new AtomicReference<>();
        CountDownLatch allocated = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread owner = new Thread(() -> {
            try (EpollEvents events = EpollEvents.allocate(4)) {
                theirs.set(events);
                allocated.countDown();
                done.await(); // only this thread can close them
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "events-owner");
        owner.start();
        try (Epoll epoll = Epoll.open(); EventFd eventFd = EventFd.open()) {
            allocated.await();
            epoll.add(eventFd.fd(), Epoll.IN, 1);
            eventFd.signal();
            assertThrows(WrongThreadException.class, () -> epoll.wait(theirs.get(), 0));
            assertThrows(WrongThreadException.class, () -> epoll.wait(theirs.get(), Duration.ofMillis(1)));
            assertThrows(WrongThreadException.class, theirs.get()::close);
        } finally {
            done.countDown();
            owner.join();
        }
        assertFalse(theirs.get().isOpen());
    }

    @Test
    void signallingOrDrainingAClosedEventFdThrowsIllegalStateException() throws Exception {
        EventFd eventFd = EventFd.open();
        eventFd.close();
        eventFd.close();
        assertThrows(IllegalStateException.class, eventFd::signal);
        assertThrows(IllegalStateException.class, eventFd::drain);
    }

    private static void assertWrongThread(Executable call) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread intruder = new Thread(() -> {
            try {
                call.execute();
            } catch (Throwable t) {
                thrown.set(t);
            }
        }, "intruder");
        intruder.start();
        intruder.join();
        assertInstanceOf(WrongThreadException.class, thrown.get());
    }
}
