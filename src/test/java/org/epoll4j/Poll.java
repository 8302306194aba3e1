// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.epoll4j.ffi.Libc;
import org.epoll4j.ffi.pollfd;

/** Asks the kernel about an fd with poll(2), independently of the loop: a test fixture. */
final class Poll {
    private Poll() {}

    /** Whether {@code fd} is hung up (POLLHUP): both directions of the socket are shut. */
    static boolean hungUp(int fd) {
        return (revents(fd, 0) & Libc.POLLHUP()) != 0;
    }

    /** Whether {@code fd} has input to read (POLLIN). */
    static boolean readable(int fd) {
        return (revents(fd, Libc.POLLIN()) & Libc.POLLIN()) != 0;
    }

    /** What poll(2) reports of {@code fd} for {@code events}, at once. */
    private static int revents(int fd, int events) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment entry = arena.allocate(pollfd.layout());
            entry.set(JAVA_INT, pollfd.fd$offset(), fd);
            entry.set(JAVA_SHORT, pollfd.events$offset(), (short) events);
            if (Libc.poll(entry, 1, 0) < 0) {
                throw new IllegalStateException("poll failed");
            }
            return entry.get(JAVA_SHORT, pollfd.revents$offset());
        }
    }
}
