// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.epoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.epoll4j.kernel.EventFd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The hot path allocates nothing: polling and reading the events, counted in bytes
 * allocated by the calling thread (not in time).
 *
 * <p>Each measured loop is a small static method of its own, called round after round:
 * the JIT then compiles it whole, with escape analysis. A loop inline in the test method
 * is compiled on-stack (OSR) and keeps allocating about 40 bytes per call. Until C2 has
 * compiled it, the loop allocates those 40 bytes too (C1 has no escape analysis); it
 * usually gets there in 2 to 5 rounds, but on a busy machine the compiler thread can
 * starve for longer, so rounds go on (pausing to let it run) until one allocates nothing.
 */
class EpollAllocationTest {
    private static final int CALLS = 100_000;
    private static final int MAX_ROUNDS = 200;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    @Timeout(300)
    void pollingWithNothingReadyAllocatesNothing() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(16);
             EventFd idle = EventFd.open()) {
            epoll.add(idle.fd(), Epoll.IN, 1);
            double perCall = leastBytesPerCall(() -> pollAndRead(epoll, events, 0));
            assertTrue(perCall < 1.0, "bytes per wait(events, 0): " + perCall);
        }
    }

    @Test
    @Timeout(300)
    void pollingAndReadingAReadyEventAllocatesNothing() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(16);
             EventFd ready = EventFd.open()) {
            epoll.add(ready.fd(), Epoll.IN, 0x1234_5678_9ABC_DEF1L);
            ready.signal(); // left readable: level-triggered, every wait reports it
            long expected = CALLS * (0x1234_5678_9ABC_DEF1L ^ Epoll.IN);
            double perCall = leastBytesPerCall(() -> pollAndRead(epoll, events, expected));
            assertTrue(perCall < 1.0, "bytes per wait(events, 0) + events(0) + data(0): " + perCall);
        }
    }

    private interface Round {
        void run() throws Exception;
    }

    /**
     * The least, over up to {@value #MAX_ROUNDS} rounds, of the bytes that one round of
     * {@value #CALLS} calls allocated, per call; stops at the first round that allocates
     * nothing.
     */
    private static double leastBytesPerCall(Round round) throws Exception {
        double least = Double.MAX_VALUE;
        for (int i = 0; i < MAX_ROUNDS && least > 0; i++) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            round.run();
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            least = Math.min(least, (double) allocated / CALLS);
            if (least > 0) {
                Thread.sleep(5); // leave the CPU to the JIT's compiler threads
            }
        }
        return least;
    }

    /**
     * One round: {@value #CALLS} zero-timeout waits, each entry's events and data read.
     * Checks that the sum of (data ^ events) over the round is {@code expected}, which
     * also keeps the JIT from discarding the reads.
     */
    private static void pollAndRead(Epoll epoll, EpollEvents events, long expected) throws Exception {
        long sum = 0;
        for (int i = 0; i < CALLS; i++) {
            int n = epoll.wait(events, 0);
            for (int j = 0; j < n; j++) {
                sum += events.data(j) ^ events.events(j);
            }
        }
        assertEquals(expected, sum);
    }
}
