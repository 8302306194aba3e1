package org.epoll4j.internal;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.epoll4j.ErrnoException;
import org.epoll4j.ffi.Libc;

/** Calls on any file descriptor: read(2), write(2), close(2). */
public final class Fd {
    private static final MethodHandle READ =
            Errno.capturingCritical(Libc.read$address(), Libc.read$descriptor());
    private static final MethodHandle WRITE =
            Errno.capturingCritical(Libc.write$address(), Libc.write$descriptor());
    private static final MethodHandle WRITEV =
            Errno.capturingCritical(Libc.writev$address(), Libc.writev$descriptor());
    /* Not critical: closing a socket with SO_LINGER set may block. */
    private static final MethodHandle CLOSE =
            Errno.capturing(Libc.close$address(), Libc.close$descriptor());

    private Fd() {}

    /**
     * Reads up to {@code length} bytes of {@code buffer} from a non-blocking fd.
     *
     * @return the bytes read, 0 if the read would block or was interrupted, -1 at end of stream
     */
    public static long read(MemorySegment capture, int fd, MemorySegment buffer, long length)
            throws ErrnoException {
        long n;
        try {
            n = (long) READ.invokeExact(capture, fd, buffer, length);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        if (n > 0) {
            return n;
        }
        if (n == 0) {
            return length == 0 ? 0 : -1;
        }
        return wouldBlock(capture) ? 0 : fail("read", fd, capture);
    }

    /**
     * Writes up to {@code length} bytes of {@code buffer} to a non-blocking fd.
     *
     * @return the bytes written, 0 if the write would block or was interrupted
     */
    public static long write(MemorySegment capture, int fd, MemorySegment buffer, long length)
            throws ErrnoException {
        long n;
        try {
            n = (long) WRITE.invokeExact(capture, fd, buffer, length);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        return n >= 0 || wouldBlock(capture) ? Math.max(n, 0) : fail("write", fd, capture);
    }

    /**
     * Writes the {@code count} buffers that {@code iov} describes ({@code struct iovec[]})
     * to a non-blocking fd, in order.
     *
     * @return the bytes written, 0 if the write would block or was interrupted
     */
    public static long writev(MemorySegment capture, int fd, MemorySegment iov, int count)
            throws ErrnoException {
        long n;
        try {
            n = (long) WRITEV.invokeExact(capture, fd, iov, count);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        return n >= 0 || wouldBlock(capture) ? Math.max(n, 0) : fail("writev", fd, capture);
    }

    /**
     * Closes {@code fd}. Errors are ignored: Linux releases the fd whatever close(2)
     * reports, and retrying on EINTR could close an fd that another thread just got.
     */
    public static void closeQuietly(MemorySegment capture, int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(capture, fd);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Whether the failed call's errno means "try again later": EAGAIN or EINTR. */
    public static boolean wouldBlock(MemorySegment capture) {
        int errno = Errno.errno(capture);
        return errno == Libc.EAGAIN() || errno == Libc.EINTR();
    }

    /**
     * What a downcall's {@code invokeExact} threw: an unchecked exception or error
     * (WrongThreadException, IllegalStateException for a closed arena) as it is;
     * anything else cannot happen.
     */
    public static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("unexpected exception from a downcall", t);
    }

    private static long fail(String syscall, int fd, MemorySegment capture) throws ErrnoException {
        throw Errno.exception(syscall + "(fd=" + fd + ")", capture);
    }
}
