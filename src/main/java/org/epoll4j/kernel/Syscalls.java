// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.security.CodeSource;
import java.util.Objects;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;

/**
 * The system calls of epoll4j's own classes, with the native memory they need (errno
 * capture, addresses, option values): one instance per owner, such as an event loop or
 * an {@code Epoll}, used by one thread at a time. Each method wraps one call; see the
 * package's classes for the details of each.
 *
 * <p>These calls take raw fds and native memory: they can close any fd of the process
 * or free any block. So every one of them is an instance method, and only epoll4j's own
 * classes can {@link #open} an instance. On the module path the package is not exported
 * anyway; on the class path, where every public class is reachable, that check keeps out
 * accidental use. Code that sets out to get around it with deep reflection can, as it
 * can get around any encapsulation on the class path.
 */
public final class Syscalls {
    private static final MethodHandle READ =
            Errno.capturingCritical("read", Libc.read$descriptor());
    private static final MethodHandle WRITE =
            Errno.capturingCritical("write", Libc.write$descriptor());
    private static final MethodHandle WRITEV =
            Errno.capturingCritical("writev", Libc.writev$descriptor());
    /* Not critical: closing a socket with SO_LINGER set may block. */
    private static final MethodHandle CLOSE =
            Errno.capturing("close", Libc.close$descriptor());

    private final MemorySegment capture;
    private final MemorySegment scratch;
    private final MemorySegment event;
    private final MemorySegment timeout;
    private final SocketCalls sockets;

    Syscalls(Arena arena) {
        capture = Errno.allocateCapture(arena);
        scratch = arena.allocate(Sockets.SCRATCH_SIZE, Long.BYTES);
        event = arena.allocate(EpollEventLayout.SIZE, Long.BYTES);
        timeout = arena.allocate(EpollCalls.TIMESPEC_SIZE, Long.BYTES);
        sockets = new SocketCalls(capture, scratch);
    }

    /**
     * Opens the calls for the class of {@code caller}, their memory from {@code arena}.
     *
     * @param caller {@code MethodHandles.lookup()} of the calling class: it proves which class calls
     * @throws IllegalCallerException if that class is not one of epoll4j's own
     */
    public static Syscalls open(MethodHandles.Lookup caller, Arena arena) {
        checkCaller(caller);
        return new Syscalls(arena);
    }

    /**
     * Checks that {@code caller} is one of epoll4j's own classes, as {@link #open} does: for
     * the internal entries that lead to these calls.
     *
     * @param caller {@code MethodHandles.lookup()} of the calling class: it proves which class calls
     * @throws IllegalCallerException if that class is not one of epoll4j's own
     */
    public static void checkCaller(MethodHandles.Lookup caller) {
        Class<?> type = caller.lookupClass();
        if (!caller.hasFullPrivilegeAccess() || !isOurs(type)) {
            throw new IllegalCallerException(type.getName()
                    + " may not make epoll4j's raw system calls: they can close any fd and free any memory");
        }
    }

    /** Whether {@code type} was loaded from epoll4j's own jar (or module, or classes). */
    static boolean isOurs(Class<?> type) {
        Class<?> self = Syscalls.class;
        if (type.getModule() != self.getModule() || type.getClassLoader() != self.getClassLoader()) {
            return false;
        }
        if (self.getModule().isNamed()) {
            return true; // a named module cannot be split: its classes are ours
        }
        // On the class path, a package name proves nothing: the code must come from where ours does.
        String name = type.getPackageName();
        return (name.equals("org.epoll4j") || name.startsWith("org.epoll4j."))
                && Objects.equals(location(type), location(self));
    }

    private static String location(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        return source == null || source.getLocation() == null ? null : source.getLocation().toExternalForm();
    }

    // ------------------------------------------------------------ memory

    /** malloc(3): {@code size} bytes, reachable only while {@code scope} is alive. */
    public MemorySegment malloc(long size, Arena scope) {
        return Malloc.allocate(size, scope);
    }

    /** free(3) of a block from {@link #malloc}, which must not be used again. */
    public void free(MemorySegment block) {
        Malloc.free(block);
    }

    // ------------------------------------------------------------ any fd
    // The hot calls hold their downcall themselves: one call level less on the loop's
    // path keeps it within what the JIT inlines, and the capture segment unallocated.

    /**
     * read(2) of up to {@code length} bytes of {@code buffer}: bytes read, 0 if it would
     * block or was interrupted, -1 at end of stream.
     */
    public long read(int fd, MemorySegment buffer, long length) throws ErrnoException {
        Objects.checkFromIndexSize(0, length, buffer.byteSize());
        long n;
        try {
            n = (long) READ.invokeExact(capture, fd, buffer, length);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        if (n > 0) {
            return n;
        }
        if (n == 0) {
            return length == 0 ? 0 : -1;
        }
        return Errno.wouldBlock(capture) ? 0 : fail("read", fd);
    }

    /** write(2) of {@code length} bytes of {@code buffer}: bytes written, 0 if it would block or was interrupted. */
    public long write(int fd, MemorySegment buffer, long length) throws ErrnoException {
        Objects.checkFromIndexSize(0, length, buffer.byteSize());
        long n;
        try {
            n = (long) WRITE.invokeExact(capture, fd, buffer, length);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        return n >= 0 || Errno.wouldBlock(capture) ? Math.max(n, 0) : fail("write", fd);
    }

    /** writev(2) of the first {@code count} buffers of {@code iov}: bytes written, 0 if it would block. */
    public long writev(int fd, IoVec iov, int count) throws ErrnoException {
        long n;
        try {
            n = (long) WRITEV.invokeExact(capture, fd, iov.array(count), count);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        return n >= 0 || Errno.wouldBlock(capture) ? Math.max(n, 0) : fail("writev", fd);
    }

    /**
     * close(2). Errors are ignored: Linux releases the fd whatever close(2) reports, and
     * retrying on EINTR could close an fd that another thread just got.
     */
    public void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(capture, fd);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
    }

    private long fail(String syscall, int fd) throws ErrnoException {
        throw Errno.exception(syscall + "(fd=" + fd + ")", capture);
    }

    // ------------------------------------------------------------ epoll

    /**
     * epoll_create1(EPOLL_CLOEXEC), once {@link EpollEventLayout#verify()} has passed: the
     * kernel never writes an epoll_event of epoll4j's before its layout is checked.
     *
     * @throws UnsupportedOperationException as {@link EpollEventLayout#verify()}
     */
    public int epollCreate() throws ErrnoException {
        EpollEventLayout.verify();
        return EpollCalls.create(capture);
    }

    /** epoll_ctl(2). */
    public void epollCtl(int epfd, int op, int fd, int events, long data) throws ErrnoException {
        EpollCalls.ctl(capture, event, epfd, op, fd, events, data);
    }

    /** epoll_wait(2) without blocking: the event count, 0 if interrupted. */
    public int epollPoll(int epfd, MemorySegment events, int capacity) throws ErrnoException {
        return EpollCalls.poll(capture, epfd, events, capacity);
    }

    /** epoll_wait(2): the event count, -1 if a signal interrupted it. */
    public int epollWait(int epfd, MemorySegment events, int capacity, int timeoutMillis) throws ErrnoException {
        return EpollCalls.wait(capture, epfd, events, capacity, timeoutMillis);
    }

    /** epoll_pwait2(2), where {@link #hasPreciseWait()}: the event count, -1 if interrupted. */
    public int epollWaitNanos(int epfd, MemorySegment events, int capacity, long nanos) throws ErrnoException {
        return EpollCalls.waitNanos(capture, timeout, epfd, events, capacity, nanos);
    }

    /** Whether epoll_pwait2 works here (Linux 5.11, glibc 2.35, and no filter refusing it). */
    public static boolean hasPreciseWait() {
        return EpollCalls.PRECISE;
    }

    // ------------------------------------------------------------ sockets

    /** The socket calls, on this instance's memory. */
    public SocketCalls sockets() {
        return sockets;
    }
}
