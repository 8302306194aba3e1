// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.epoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.epoll4j.kernel.EventFd;
import org.epoll4j.testing.Pipe;
import org.junit.jupiter.api.Test;

/**
 * What each wait reports: level- and edge-triggered, one-shot, exclusive, and the
 * conditions (OUT, HUP, ERR) that pipes raise. Zero-timeout waits only: a write makes
 * its reader ready before write(2) returns, so nothing here needs to block.
 */
class EpollTriggeringTest {

    @Test
    void levelTriggeredReadinessRepeatsUntilDrained() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4); Pipe pipe = Pipe.open()) {
            epoll.add(pipe.readFd(), Epoll.IN, 11);
            assertEquals(0, epoll.wait(events, 0));
            pipe.write(2);
            assertReady(epoll, events, Epoll.IN, 11);
            assertReady(epoll, events, Epoll.IN, 11);
            assertTrue(pipe.readOne());
            assertReady(epoll, events, Epoll.IN, 11); // one byte left: still readable
            assertEquals(1, pipe.drain());
            assertEquals(0, epoll.wait(events, 0));
        }
    }

    @Test
    void edgeTriggeredReadinessIsReportedOncePerChange() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4); Pipe pipe = Pipe.open()) {
            epoll.add(pipe.readFd(), Epoll.IN | Epoll.ET, 12);
            pipe.write(2);
            assertReady(epoll, events, Epoll.IN, 12);
            assertEquals(0, epoll.wait(events, 0), "no new data: no new edge, though still readable");
            pipe.write(1);
            assertReady(epoll, events, Epoll.IN, 12);
            assertEquals(0, epoll.wait(events, 0));
            assertEquals(3, pipe.drain());
            assertEquals(0, epoll.wait(events, 0));
        }
    }

    @Test
    void oneShotIsReportedOnceUntilRearmedWithModify() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4);
             EventFd eventFd = EventFd.open()) {
            epoll.add(eventFd.fd(), Epoll.IN | Epoll.ONESHOT, 13);
            eventFd.signal();
            assertReady(epoll, events, Epoll.IN, 13);
            assertEquals(0, epoll.wait(events, 0), "disabled after one report, though still readable");
            eventFd.signal();
            assertEquals(0, epoll.wait(events, 0), "a new change does not re-arm it either");
            epoll.modify(eventFd.fd(), Epoll.IN | Epoll.ONESHOT, 14);
            assertReady(epoll, events, Epoll.IN, 14);
            assertEquals(0, epoll.wait(events, 0));
            assertEquals(2, eventFd.drain());
        }
    }

    @Test
    void exclusiveIsAcceptedOnAddAndReportsEvents() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4);
             EventFd eventFd = EventFd.open()) {
            epoll.add(eventFd.fd(), Epoll.IN | Epoll.EXCLUSIVE, 15);
            assertEquals(0, epoll.wait(events, 0));
            eventFd.signal();
            assertReady(epoll, events, Epoll.IN, 15);
        }
    }

    @Test
    void theWriteEndOfAnEmptyPipeIsWritable() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4); Pipe pipe = Pipe.open()) {
            epoll.add(pipe.writeFd(), Epoll.OUT, 16);
            assertReady(epoll, events, Epoll.OUT, 16);
        }
    }

    @Test
    void closingTheWriteEndReportsHangUpWithoutAskingForIt() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4); Pipe pipe = Pipe.open()) {
            epoll.add(pipe.readFd(), Epoll.IN, 17);
            assertEquals(0, epoll.wait(events, 0));
            pipe.closeWriteEnd();
            assertEquals(1, epoll.wait(events, 0));
            assertEquals(Epoll.HUP, events.events(0) & Epoll.HUP, "events: " + events.events(0));
            assertEquals(17, events.data(0));
        }
    }

    @Test
    void closingTheReadEndReportsAnErrorOnTheWriteEndWithoutAskingForIt() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4); Pipe pipe = Pipe.open()) {
            epoll.add(pipe.writeFd(), Epoll.ET, 18); // no events asked for: ERR and HUP only
            assertEquals(0, epoll.wait(events, 0));
            pipe.closeReadEnd();
            assertEquals(1, epoll.wait(events, 0));
            assertEquals(Epoll.ERR, events.events(0) & Epoll.ERR, "events: " + events.events(0));
            assertEquals(18, events.data(0));
        }
    }

    @Test
    void aDeletedFdIsNoLongerReported() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4);
             EventFd eventFd = EventFd.open()) {
            epoll.add(eventFd.fd(), Epoll.IN, 19);
            eventFd.signal();
            assertReady(epoll, events, Epoll.IN, 19);
            epoll.delete(eventFd.fd());
            assertEquals(0, epoll.wait(events, 0));
        }
    }

    @Test
    void modifyChangesTheEventsAskedFor() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4);
             EventFd eventFd = EventFd.open()) {
            epoll.add(eventFd.fd(), Epoll.OUT, 20);
            assertReady(epoll, events, Epoll.OUT, 20);
            epoll.modify(eventFd.fd(), Epoll.IN, 21);
            assertEquals(0, epoll.wait(events, 0), "writable but no longer asked; not readable yet");
            eventFd.signal();
            assertReady(epoll, events, Epoll.IN, 21);
        }
    }

    @Test
    void aWaitReportsEveryReadyFdUpToTheCapacity() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(2);
             EventFd a = EventFd.open(); EventFd b = EventFd.open(); EventFd c = EventFd.open()) {
            epoll.add(a.fd(), Epoll.IN, 1);
            epoll.add(b.fd(), Epoll.IN, 2);
            epoll.add(c.fd(), Epoll.IN, 3);
            a.signal();
            b.signal();
            c.signal();
            assertEquals(2, epoll.wait(events, 0));
            assertEquals(2, events.size());
            try (EpollEvents roomy = EpollEvents.allocate(8)) {
                assertEquals(3, epoll.wait(roomy, 0));
                assertEquals(3, roomy.size());
                Set<Long> data = new HashSet<>();
                for (int i = 0; i < roomy.size(); i++) {
                    assertEquals(Epoll.IN, roomy.events(i));
                    data.add(roomy.data(i));
                }
                assertEquals(Set.of(1L, 2L, 3L), data);
            }
        }
    }

    /** Exactly one fd is ready, with {@code expected} among its events and this data. */
    private static void assertReady(Epoll epoll, EpollEvents events, int expected, long data) throws Exception {
        assertEquals(1, epoll.wait(events, 0), "ready fds");
        assertEquals(1, events.size());
        assertEquals(expected, events.events(0) & expected, "events: " + events.events(0));
        assertEquals(data, events.data(0));
    }
}
