// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Objects;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;
import org.epoll4j.ffi.timespec;

/**
 * epoll_create1(2), epoll_ctl(2), epoll_wait(2) and epoll_pwait2(2). Every array of
 * events is checked to hold {@code capacity} entries before the kernel writes to it.
 */
final class EpollCalls {
    static final long TIMESPEC_SIZE = timespec.layout().byteSize();

    private static final MethodHandle CREATE =
            Errno.capturing("epoll_create1", Libc.epoll_create1$descriptor());
    private static final MethodHandle CTL =
            Errno.capturingCritical("epoll_ctl", Libc.epoll_ctl$descriptor());
    private static final MethodHandle WAIT =
            Errno.capturing("epoll_wait", Libc.epoll_wait$descriptor());
    /* A zero timeout never blocks. */
    private static final MethodHandle POLL =
            Errno.capturingCritical("epoll_wait", Libc.epoll_wait$descriptor());
    /* Null where glibc does not export epoll_pwait2 (before 2.35). */
    private static final MethodHandle PWAIT2 = Symbols.exists("epoll_pwait2")
            ? Errno.capturing("epoll_pwait2", Libc.epoll_pwait2$descriptor())
            : null;
    /** Whether epoll_pwait2 works here: glibc exports it and the kernel answers it. */
    static final boolean PRECISE = PWAIT2 != null && kernelAnswersPwait2();

    private EpollCalls() {}

    static int create(MemorySegment capture) throws ErrnoException {
        int fd;
        try {
            fd = (int) CREATE.invokeExact(capture, Libc.EPOLL_CLOEXEC());
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        if (fd < 0) {
            throw Errno.exception("epoll_create1(EPOLL_CLOEXEC)", capture);
        }
        return fd;
    }

    /** epoll_ctl(2), with {@code event} as the scratch {@code struct epoll_event}. */
    static void ctl(MemorySegment capture, MemorySegment event, int epfd, int op, int fd, int events, long data)
            throws ErrnoException {
        event.set(JAVA_INT_UNALIGNED, EpollEventLayout.EVENTS_OFFSET, events);
        event.set(JAVA_LONG_UNALIGNED, EpollEventLayout.DATA_OFFSET, data);
        control(capture, epfd, op, fd, event);
    }

    /** epoll_ctl(2) with an {@code event} that the caller filled in. */
    static void control(MemorySegment capture, int epfd, int op, int fd, MemorySegment event) throws ErrnoException {
        int result;
        try {
            result = (int) CTL.invokeExact(capture, epfd, op, fd, event);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        if (result < 0) {
            throw Errno.exception("epoll_ctl(" + opName(op) + ", fd=" + fd + ")", capture);
        }
    }

    /** epoll_wait(2) with a zero timeout: the event count, 0 if interrupted. */
    static int poll(MemorySegment capture, int epfd, MemorySegment array, int capacity) throws ErrnoException {
        checkArray(array, capacity);
        int n;
        try {
            n = (int) POLL.invokeExact(capture, epfd, array, capacity, 0);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        return n >= 0 || interrupted(capture) ? Math.max(n, 0) : fail("epoll_wait", epfd, capture);
    }

    /** epoll_wait(2): the event count, -1 if a signal interrupted the wait. */
    static int wait(MemorySegment capture, int epfd, MemorySegment array, int capacity, int timeoutMillis)
            throws ErrnoException {
        checkArray(array, capacity);
        int n;
        try {
            n = (int) WAIT.invokeExact(capture, epfd, array, capacity, timeoutMillis);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        return n >= 0 || interrupted(capture) ? n : fail("epoll_wait", epfd, capture);
    }

    /** epoll_pwait2(2), with {@code timeout} as the scratch timespec: as {@link #wait}. */
    static int waitNanos(MemorySegment capture, MemorySegment timeout, int epfd, MemorySegment array,
                         int capacity, long nanos) throws ErrnoException {
        checkArray(array, capacity);
        timeout.set(JAVA_LONG, timespec.tv_sec$offset(), nanos / 1_000_000_000L);
        timeout.set(JAVA_LONG, timespec.tv_nsec$offset(), nanos % 1_000_000_000L);
        int n;
        try {
            n = (int) PWAIT2.invokeExact(capture, epfd, array, capacity, timeout, MemorySegment.NULL);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        return n >= 0 || interrupted(capture) ? n : fail("epoll_pwait2", epfd, capture);
    }

    /**
     * Whether a probe of epoll_pwait2 on an fd that cannot be valid says the kernel has
     * it: only EBADF does. ENOSYS (before Linux 5.11), or EPERM from a seccomp filter,
     * or anything else means epoll_wait is used.
     */
    static boolean pwait2Answered(int result, int errno) {
        return result < 0 && errno == Libc.EBADF();
    }

    private static boolean kernelAnswersPwait2() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Errno.allocateCapture(arena);
            MemorySegment zero = arena.allocate(TIMESPEC_SIZE);
            MemorySegment one = arena.allocate(EpollEventLayout.SIZE);
            // No fd is needed, so the answer holds even when the process is out of fds.
            int n = (int) PWAIT2.invokeExact(capture, -1, one, 1, zero, MemorySegment.NULL);
            return pwait2Answered(n, Errno.errno(capture));
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
    }

    private static void checkArray(MemorySegment array, int capacity) {
        Objects.checkFromIndexSize(0, capacity * EpollEventLayout.SIZE, array.byteSize());
    }

    private static boolean interrupted(MemorySegment capture) {
        return Errno.errno(capture) == Libc.EINTR();
    }

    private static int fail(String syscall, int epfd, MemorySegment capture) throws ErrnoException {
        throw Errno.exception(syscall + "(epfd=" + epfd + ")", capture);
    }

    private static String opName(int op) {
        if (op == Libc.EPOLL_CTL_ADD()) {
            return "ADD";
        }
        return op == Libc.EPOLL_CTL_MOD() ? "MOD" : "DEL";
    }
}
