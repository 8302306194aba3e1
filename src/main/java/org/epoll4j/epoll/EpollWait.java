// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.epoll;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import org.epoll4j.kernel.Syscalls;

/**
 * How {@link Epoll} waits: the timeout kept across interrupted waits, and
 * {@code epoll_pwait2} where it works.
 *
 * <p>A signal that interrupts a wait (EINTR) does not surface: the wait goes on for
 * what is left of the timeout. A wait may still return 0 events before the timeout
 * ends only if the kernel wakes it spuriously, which epoll does not document.
 */
final class EpollWait {
    private final Syscalls sys;
    private final int epfd;

    EpollWait(Syscalls sys, int epfd) {
        this.sys = sys;
        this.epfd = epfd;
    }

    /** Waits up to {@code timeoutMillis} (-1: no limit, 0: not at all); returns the event count. */
    int millis(MemorySegment array, int capacity, int timeoutMillis) throws ErrnoException {
        if (timeoutMillis == 0) {
            return sys.epollPoll(epfd, array, capacity);
        }
        long deadline = timeoutMillis > 0 ? System.nanoTime() + timeoutMillis * 1_000_000L : 0;
        int timeout = timeoutMillis;
        while (true) {
            int n = sys.epollWait(epfd, array, capacity, timeout);
            if (n >= 0) {
                return n;
            }
            if (timeoutMillis > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return 0;
                }
                timeout = toMillisRoundedUp(left);
            }
        }
    }

    /** Waits up to {@code timeout}; returns the event count. */
    int nanos(MemorySegment array, int capacity, Duration timeout) throws ErrnoException {
        long nanos = saturatedNanos(timeout);
        long deadline = System.nanoTime() + nanos;
        while (true) {
            int n = Syscalls.hasPreciseWait()
                    ? sys.epollWaitNanos(epfd, array, capacity, nanos)
                    : sys.epollWait(epfd, array, capacity, toMillisRoundedUp(nanos));
            if (n > 0) {
                return n;
            }
            // Interrupted, or a millisecond wait capped below a very long timeout.
            nanos = deadline - System.nanoTime();
            if (nanos <= 0) {
                return 0;
            }
        }
    }

    private static int toMillisRoundedUp(long nanos) {
        return (int) Math.min(Integer.MAX_VALUE, (nanos + 999_999) / 1_000_000);
    }

    private static long saturatedNanos(Duration timeout) {
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2; // about 146 years: forever, without overflowing a deadline
        }
    }
}
