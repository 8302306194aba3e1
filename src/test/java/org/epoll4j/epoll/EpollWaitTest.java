// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.epoll;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.epoll4j.kernel.EventFd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Timeouts, and waits that block until another thread makes an fd ready. */
class EpollWaitTest {

    @Test
    @Timeout(10)
    void aPositiveTimeoutReturnsZeroWhenNothingIsReady() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4);
             EventFd eventFd = EventFd.open()) {
            epoll.add(eventFd.fd(), Epoll.IN, 1);
            assertEquals(0, epoll.wait(events, 20));
            assertEquals(0, events.size());
        }
    }

    @Test
    @Timeout(10)
    void subMillisecondDurationsReturnZeroWhenNothingIsReady() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4);
             EventFd eventFd = EventFd.open()) {
            epoll.add(eventFd.fd(), Epoll.IN, 1);
            assertEquals(0, epoll.wait(events, Duration.ofNanos(200_000)));
            assertEquals(0, epoll.wait(events, Duration.ofNanos(1)));
            assertEquals(0, epoll.wait(events, Duration.ZERO));
            assertEquals(0, epoll.wait(events, Duration.ofMillis(5)));
        }
    }

    @Test
    @Timeout(10)
    void waitsWithATimeoutReturnAReadyFdAtOnce() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4);
             EventFd eventFd = EventFd.open()) {
            epoll.add(eventFd.fd(), Epoll.IN, 2);
            eventFd.signal();
            assertEquals(1, epoll.wait(events, 5_000));
            assertEquals(2, events.data(0));
            assertEquals(1, epoll.wait(events, Duration.ofSeconds(5)));
            assertEquals(2, events.data(0));
            assertEquals(1, epoll.wait(events, Duration.ofNanos(200_000)));
            assertEquals(1, epoll.wait(events, -1));
        }
    }

    @Test
    @Timeout(10)
    void aWaitForeverReturnsWhenAnotherThreadSignalsAnEventFdInTheSet() throws Exception {
        assertWokenByAnotherThread((epoll, events) -> epoll.wait(events, -1));
    }

    @Test
    @Timeout(10)
    void theLongestMillisecondWaitReturnsWhenAnotherThreadSignals() throws Exception {
        assertWokenByAnotherThread((epoll, events) -> epoll.wait(events, Integer.MAX_VALUE));
    }

    @Test
    @Timeout(10)
    void anEndlessDurationWaitReturnsWhenAnotherThreadSignals() throws Exception {
        // Too many nanoseconds for a long: the wait must saturate, not overflow or throw.
        assertWokenByAnotherThread((epoll, events) -> epoll.wait(events, Duration.ofSeconds(Long.MAX_VALUE)));
    }

    private interface Waiting {
        int waitOn(Epoll epoll, EpollEvents events) throws Exception;
    }

    /**
     * The Epoll is opened by the thread that waits on it; this thread only signals.
     * The waiter is a daemon: should the wait never return, @Timeout fails the test
     * and the stuck thread does not keep the JVM alive.
     */
    private static void assertWokenByAnotherThread(Waiting waiting) throws Exception {
        try (EventFd eventFd = EventFd.open()) {
            CountDownLatch registered = new CountDownLatch(1);
            CompletableFuture<Long> woken = new CompletableFuture<>();
            Thread waiter = new Thread(() -> {
                try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4)) {
                    epoll.add(eventFd.fd(), Epoll.IN, 0xCAFE_F00D_0000_0001L);
                    registered.countDown();
                    int n = waiting.waitOn(epoll, events);
                    assertEquals(1, n);
                    assertEquals(Epoll.IN, events.events(0));
                    woken.complete(events.data(0));
                } catch (Throwable t) {
                    woken.completeExceptionally(t);
                    registered.countDown();
                }
            }, "waiter");
            waiter.setDaemon(true);
            waiter.start();
            registered.await();
            Thread.sleep(50); // most likely blocked by now; correct either way
            eventFd.signal();
            assertEquals(0xCAFE_F00D_0000_0001L, woken.get());
            waiter.join();
            assertEquals(1, eventFd.drain());
        }
    }
}
