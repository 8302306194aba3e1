// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;

/**
 * A round trip through a real epoll set that shows whether the kernel writes
 * {@code struct epoll_event} where a layout says: two ready eventfds are registered with
 * known 64-bit data, written at the layout's offsets, and one epoll_wait for two events
 * fills a buffer with room for two of the largest layout, filled with a canary first.
 * Both events, both data and the canary after {@code 2 * size} bytes must then read
 * back as they should. Whatever the layout, the kernel writes inside that buffer only.
 */
final class EpollEventCheck {
    /** No Linux ABI pads struct epoll_event, a u32 and a u64, beyond 16 bytes. */
    static final long MAX_SIZE = 16;
    /** Two events of the largest layout, and as much again for the canary. */
    static final long BUFFER_SIZE = 3 * MAX_SIZE;
    private static final byte CANARY = (byte) 0xA5;
    /* Every byte differs, so data read at a wrong offset never looks right. */
    private static final long FIRST = 0x0123_4567_89AB_CDEFL;
    private static final long SECOND = 0xF0E1_D2C3_B4A5_9687L;

    private EpollEventCheck() {}

    /** What the kernel wrote where it does not match {@code layout}; null if it all does. */
    static String mismatch(ArchLayout layout) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            return mismatch(layout, arena.allocate(BUFFER_SIZE, Long.BYTES));
        }
    }

    /** As {@link #mismatch(ArchLayout)}, the kernel writing into {@code buffer} (BUFFER_SIZE bytes). */
    static String mismatch(ArchLayout layout, MemorySegment buffer) throws ErrnoException {
        if (buffer.byteSize() != BUFFER_SIZE) {
            throw new IllegalArgumentException("the buffer must be " + BUFFER_SIZE + " bytes: " + buffer.byteSize());
        }
        try (Arena arena = Arena.ofConfined(); EventFd first = EventFd.open(); EventFd second = EventFd.open()) {
            MemorySegment capture = Errno.allocateCapture(arena);
            Syscalls sys = new Syscalls(arena);
            MemorySegment event = arena.allocate(MAX_SIZE, Long.BYTES);
            int epfd = EpollCalls.create(capture);
            try {
                add(capture, event, epfd, first, FIRST, layout);
                add(capture, event, epfd, second, SECOND, layout);
                buffer.fill(CANARY);
                int n = EpollCalls.poll(capture, epfd, buffer, 2);
                return matches(layout, n, buffer) ? null : found(layout, n, buffer);
            } finally {
                sys.close(epfd);
            }
        }
    }

    private static void add(MemorySegment capture, MemorySegment event, int epfd, EventFd eventFd, long data,
                            ArchLayout layout) throws ErrnoException {
        event.fill((byte) 0);
        event.set(JAVA_INT_UNALIGNED, layout.eventsOffset, Libc.EPOLLIN());
        event.set(JAVA_LONG_UNALIGNED, layout.dataOffset, data);
        EpollCalls.control(capture, epfd, Libc.EPOLL_CTL_ADD(), eventFd.fd(), event);
        eventFd.signal(); // readable from now on: level-triggered, a zero-timeout wait reports it
    }

    private static boolean matches(ArchLayout layout, int n, MemorySegment buffer) {
        long data0 = data(layout, buffer, 0);
        long data1 = data(layout, buffer, 1);
        if (n != 2 || events(layout, buffer, 0) != Libc.EPOLLIN() || events(layout, buffer, 1) != Libc.EPOLLIN()
                || !(data0 == FIRST && data1 == SECOND || data0 == SECOND && data1 == FIRST)) {
            return false; // in either order: epoll does not say which comes first
        }
        for (long i = 2 * layout.size; i < BUFFER_SIZE; i++) {
            if (buffer.get(JAVA_BYTE, i) != CANARY) {
                return false; // the kernel's entries are larger than the layout's
            }
        }
        return true;
    }

    private static String found(ArchLayout layout, int n, MemorySegment buffer) {
        HexFormat hex = HexFormat.of();
        return "epoll_wait reported " + n + " of 2 ready eventfds registered for EPOLLIN (0x"
                + Integer.toHexString(Libc.EPOLLIN()) + ") with data 0x" + hex.toHexDigits(FIRST) + " and 0x"
                + hex.toHexDigits(SECOND) + "; read at these offsets, its events are 0x"
                + Integer.toHexString(events(layout, buffer, 0)) + " and 0x"
                + Integer.toHexString(events(layout, buffer, 1)) + ", its data 0x"
                + hex.toHexDigits(data(layout, buffer, 0)) + " and 0x" + hex.toHexDigits(data(layout, buffer, 1))
                + "; the buffer after the wait (filled with " + hex.toHexDigits(CANARY) + " before it): "
                + HexFormat.ofDelimiter(" ").formatHex(buffer.toArray(JAVA_BYTE));
    }

    private static int events(ArchLayout layout, MemorySegment buffer, int i) {
        return buffer.get(JAVA_INT_UNALIGNED, i * layout.size + layout.eventsOffset);
    }

    private static long data(ArchLayout layout, MemorySegment buffer, int i) {
        return buffer.get(JAVA_LONG_UNALIGNED, i * layout.size + layout.dataOffset);
    }
}
