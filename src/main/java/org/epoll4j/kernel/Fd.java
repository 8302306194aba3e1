package org.epoll4j.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Objects;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;

/**
 * Calls on any file descriptor: read(2), write(2), writev(2), close(2). Every length is
 * checked against its segment first: the kernel never writes or reads past one.
 */
final class Fd {
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

    /** read(2) into {@code buffer}: bytes read, 0 would block or interrupted, -1 end of stream. */
    static long read(MemorySegment capture, int fd, MemorySegment buffer, long length) throws ErrnoException {
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
        return wouldBlock(capture) ? 0 : fail("read", fd, capture);
    }

    /** write(2) from {@code buffer}: bytes written, 0 if it would block or was interrupted. */
    static long write(MemorySegment capture, int fd, MemorySegment buffer, long length) throws ErrnoException {
        Objects.checkFromIndexSize(0, length, buffer.byteSize());
        long n;
        try {
            n = (long) WRITE.invokeExact(capture, fd, buffer, length);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        return n >= 0 || wouldBlock(capture) ? Math.max(n, 0) : fail("write", fd, capture);
    }

    /** writev(2) of the first {@code count} buffers of {@code iov}: as {@link #write}. */
    static long writev(MemorySegment capture, int fd, IoVec iov, int count) throws ErrnoException {
        long n;
        try {
            n = (long) WRITEV.invokeExact(capture, fd, iov.array(count), count);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        return n >= 0 || wouldBlock(capture) ? Math.max(n, 0) : fail("writev", fd, capture);
    }

    /**
     * close(2). Errors are ignored: Linux releases the fd whatever close(2) reports,
     * and retrying on EINTR could close an fd that another thread just got.
     */
    static void close(MemorySegment capture, int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(capture, fd);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
    }

    /** Whether the failed call's errno means "try again later": EAGAIN or EINTR. */
    static boolean wouldBlock(MemorySegment capture) {
        int errno = Errno.errno(capture);
        return errno == Libc.EAGAIN() || errno == Libc.EINTR();
    }

    private static long fail(String syscall, int fd, MemorySegment capture) throws ErrnoException {
        throw Errno.exception(syscall + "(fd=" + fd + ")", capture);
    }
}
