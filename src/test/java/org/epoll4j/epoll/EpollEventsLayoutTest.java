// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.epoll;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.epoll4j.kernel.EventFd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** The layout of struct epoll_event as the kernel writes it, and the 64-bit data round trip, on each architecture. */
class EpollEventsLayoutTest {

    @Test
    @EnabledIfSystemProperty(named = "os.arch", matches = "amd64|x86_64")
    void anEpollEventIsPackedToTwelveBytesOnX86_64() {
        assertEquals(12, EpollEvents.STRUCT_SIZE);
    }

    @Test
    @EnabledIfSystemProperty(named = "os.arch", matches = "aarch64|riscv64")
    void anEpollEventIsSixteenBytesOnAarch64AndRiscv64() {
        assertEquals(16, EpollEvents.STRUCT_SIZE);
    }

    /** The emulated runs (.ci/test-emulated) name the architecture they mean to test: this is it. */
    @Test
    @EnabledIfSystemProperty(named = "epoll4j.test.arch", matches = ".+")
    void theTestsRunOnTheArchitectureAskedFor() {
        assertEquals(System.getProperty("epoll4j.test.arch"), System.getProperty("os.arch"));
    }

    @Test
    @Timeout(60)
    void aThousandReadyEventfdsComeBackFromOneWaitWithTheirTokensIntact() throws Exception {
        // Guards a bug: with x86_64's 12-byte layout on aarch64, epoll_wait wrote 16 bytes an
        // event past the array, and the JVM aborted with "double free or corruption".
        int count = 1000;
        List<EventFd> eventFds = new ArrayList<>();
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(count)) {
            Set<Long> tokens = new HashSet<>();
            for (int i = 0; i < count; i++) {
                EventFd eventFd = EventFd.open();
                eventFds.add(eventFd);
                long token = 0x8000_0000_0000_0000L | (long) i << 32 | eventFd.fd(); // all 64 bits used
                epoll.add(eventFd.fd(), Epoll.IN, token);
                eventFd.signal();
                tokens.add(token);
            }
            assertEquals(count, epoll.wait(events, 5_000));
            Set<Long> returned = new HashSet<>();
            for (int i = 0; i < count; i++) {
                assertEquals(Epoll.IN, events.events(i), "events of entry " + i);
                returned.add(events.data(i));
            }
            assertEquals(tokens, returned);
        } finally {
            eventFds.forEach(EventFd::close);
        }
    }

    @Test
    @Timeout(30)
    void theSegmentHoldsCapacityEvents() {
        for (int capacity : new int[] {1, 2, 3, 64, 1000}) {
            try (EpollEvents events = EpollEvents.allocate(capacity)) {
                assertEquals(capacity, events.capacity());
                assertEquals(0, events.size());
                assertEquals(capacity * EpollEvents.STRUCT_SIZE, events.segment().byteSize());
            }
        }
    }

    @Test
    @Timeout(30)
    void theKernelWritesEventsAndDataWhereTheAccessorsReadThem() throws Exception {
        // The ABI, written out independently of the generated layout: events at 0; data
        // right after it on x86_64 (packed), at the next 8-byte boundary elsewhere.
        long dataOffset = EpollEvents.STRUCT_SIZE == 12 ? 4 : 8;
        long value = 0x0123_4567_89AB_CDEFL;
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4);
             EventFd first = EventFd.open(); EventFd second = EventFd.open()) {
            epoll.add(first.fd(), Epoll.IN, value);
            epoll.add(second.fd(), Epoll.IN, ~value);
            first.signal();
            second.signal();
            assertEquals(2, epoll.wait(events, 0));
            MemorySegment raw = events.segment();
            for (int i = 0; i < 2; i++) {
                long entry = i * EpollEvents.STRUCT_SIZE;
                assertEquals(Epoll.IN, raw.get(JAVA_INT_UNALIGNED, entry));
                assertEquals(events.events(i), raw.get(JAVA_INT_UNALIGNED, entry));
                assertEquals(events.data(i), raw.get(JAVA_LONG_UNALIGNED, entry + dataOffset));
            }
            assertEquals(value ^ ~value, events.data(0) ^ events.data(1), "both values, in either order");
        }
    }

    @Test
    @Timeout(30)
    void allSixtyFourBitsOfDataComeBackUnchanged() throws Exception {
        long[] edges = {0L, 1L, -1L, 0xFFFF_FFFF_FFFF_FFFFL, Long.MIN_VALUE, Long.MAX_VALUE,
            0x8000_0000_0000_0001L, 0x0000_0000_FFFF_FFFFL, 0xFFFF_FFFF_0000_0000L,
            0x0000_0001_0000_0000L, 0x8000_0000L, 0xDEAD_BEEF_CAFE_BABEL};
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(1);
             EventFd eventFd = EventFd.open()) {
            epoll.add(eventFd.fd(), Epoll.IN, 0);
            eventFd.signal(); // level-triggered: every wait reports it
            for (long value : edges) {
                assertRoundTrip(epoll, events, eventFd.fd(), value, "edge value");
            }
            for (int i = 0; i < 1000; i++) {
                assertRoundTrip(epoll, events, eventFd.fd(), random.nextLong(), "random seed " + seed);
            }
        }
    }

    @Test
    @Timeout(30)
    void dataGivenToAddComesBackUnchanged() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(1);
             EventFd eventFd = EventFd.open()) {
            epoll.add(eventFd.fd(), Epoll.IN, 0x8000_0000_0000_0001L);
            eventFd.signal();
            assertEquals(1, epoll.wait(events, 0));
            assertEquals(0x8000_0000_0000_0001L, events.data(0));
        }
    }

    private static void assertRoundTrip(Epoll epoll, EpollEvents events, int fd, long value, String what)
            throws Exception {
        epoll.modify(fd, Epoll.IN, value);
        assertEquals(1, epoll.wait(events, 0));
        assertEquals(value, events.data(0), () -> what + ": " + Long.toHexString(value));
        assertEquals(Epoll.IN, events.events(0));
    }
}
