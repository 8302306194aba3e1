package org.epoll4j.internal;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.InetSocketAddress;
import org.epoll4j.ErrnoException;
import org.epoll4j.ffi.Libc;
import org.epoll4j.ffi.linger;

/**
 * TCP socket calls on non-blocking, close-on-exec sockets. Each method wraps one
 * system call; {@code capture} receives errno and {@code scratch}
 * ({@link #SCRATCH_SIZE} bytes) holds addresses and option values during the call.
 * See <a href="https://man7.org/linux/man-pages/man7/tcp.7.html">tcp(7)</a>.
 */
public final class Socket {
    /* scratch: [sockaddr_storage][socklen_t or int option][struct linger] */
    private static final long LENGTH = Sockaddr.STORAGE_SIZE;
    private static final long LINGER = LENGTH + Long.BYTES;
    /** Bytes of scratch memory the calls need. */
    public static final long SCRATCH_SIZE = LINGER + linger.layout().byteSize();

    private static final MethodHandle SOCKET = Errno.capturing(Libc.socket$address(), Libc.socket$descriptor());
    private static final MethodHandle SETSOCKOPT =
            Errno.capturing(Libc.setsockopt$address(), Libc.setsockopt$descriptor());
    private static final MethodHandle GETSOCKOPT =
            Errno.capturing(Libc.getsockopt$address(), Libc.getsockopt$descriptor());
    private static final MethodHandle BIND = Errno.capturing(Libc.bind$address(), Libc.bind$descriptor());
    private static final MethodHandle LISTEN = Errno.capturing(Libc.listen$address(), Libc.listen$descriptor());
    private static final MethodHandle ACCEPT4 =
            Errno.capturingCritical(Libc.accept4$address(), Libc.accept4$descriptor());
    private static final MethodHandle CONNECT =
            Errno.capturingCritical(Libc.connect$address(), Libc.connect$descriptor());
    private static final MethodHandle SHUTDOWN =
            Errno.capturingCritical(Libc.shutdown$address(), Libc.shutdown$descriptor());
    private static final MethodHandle GETSOCKNAME =
            Errno.capturing(Libc.getsockname$address(), Libc.getsockname$descriptor());
    private static final MethodHandle GETPEERNAME =
            Errno.capturing(Libc.getpeername$address(), Libc.getpeername$descriptor());

    private Socket() {}

    /** Opens an IPv4 TCP socket that is never connected: an fd held in reserve. */
    public static int openSpare(MemorySegment capture) throws ErrnoException {
        return open(capture, Libc.AF_INET());
    }

    /** Opens a TCP socket of {@code family} (AF_INET or AF_INET6). */
    public static int open(MemorySegment capture, int family) throws ErrnoException {
        int fd;
        try {
            fd = (int) SOCKET.invokeExact(capture, family,
                    Libc.SOCK_STREAM() | Libc.SOCK_NONBLOCK() | Libc.SOCK_CLOEXEC(), 0);
        } catch (Throwable t) {
            throw Fd.unexpected(t);
        }
        return fd >= 0 ? fd : fail("socket(" + familyName(family) + ", SOCK_STREAM)", capture);
    }

    /** Sets an int socket option; {@code name} is for the error message. */
    private static void setInt(MemorySegment capture, MemorySegment scratch, int fd,
                               int level, int option, int value, String name) throws ErrnoException {
        scratch.set(JAVA_INT, LENGTH, value);
        setsockopt(capture, fd, level, option, scratch.asSlice(LENGTH, Integer.BYTES), name);
    }

    /** Sets SO_REUSEADDR: a listener may bind while old connections of its port linger. */
    public static void setReuseAddress(MemorySegment capture, MemorySegment scratch, int fd) throws ErrnoException {
        setInt(capture, scratch, fd, Libc.SOL_SOCKET(), Libc.SO_REUSEADDR(), 1, "SO_REUSEADDR");
    }

    /** Sets SO_REUSEPORT: several listeners share the port, the kernel spreads connections. */
    public static void setReusePort(MemorySegment capture, MemorySegment scratch, int fd) throws ErrnoException {
        setInt(capture, scratch, fd, Libc.SOL_SOCKET(), Libc.SO_REUSEPORT(), 1, "SO_REUSEPORT");
    }

    /** Sets or clears TCP_NODELAY. */
    public static void setNoDelay(MemorySegment capture, MemorySegment scratch, int fd, boolean on)
            throws ErrnoException {
        setInt(capture, scratch, fd, Libc.IPPROTO_TCP(), Libc.TCP_NODELAY(), on ? 1 : 0, "TCP_NODELAY");
    }

    /** Sets or clears SO_KEEPALIVE. */
    public static void setKeepAlive(MemorySegment capture, MemorySegment scratch, int fd, boolean on)
            throws ErrnoException {
        setInt(capture, scratch, fd, Libc.SOL_SOCKET(), Libc.SO_KEEPALIVE(), on ? 1 : 0, "SO_KEEPALIVE");
    }

    /** Sets SO_LINGER: with {@code seconds} 0, close(2) resets the connection. */
    public static void setLinger(MemorySegment capture, MemorySegment scratch, int fd, int seconds)
            throws ErrnoException {
        MemorySegment value = scratch.asSlice(LINGER, linger.layout().byteSize());
        value.set(JAVA_INT, linger.l_onoff$offset(), 1);
        value.set(JAVA_INT, linger.l_linger$offset(), seconds);
        setsockopt(capture, fd, Libc.SOL_SOCKET(), Libc.SO_LINGER(), value, "SO_LINGER");
    }

    /** Reads and clears the socket's pending error (SO_ERROR); 0 if none. */
    public static int takeError(MemorySegment capture, MemorySegment scratch, int fd) throws ErrnoException {
        return getInt(capture, scratch, fd, Libc.SOL_SOCKET(), Libc.SO_ERROR(), "SO_ERROR");
    }

    /** Reads an int socket option; {@code name} is for the error message. */
    public static int getInt(MemorySegment capture, MemorySegment scratch, int fd,
                             int level, int option, String name) throws ErrnoException {
        scratch.set(JAVA_INT, 0, 0);
        scratch.set(JAVA_INT, LENGTH, Integer.BYTES);
        int result;
        try {
            result = (int) GETSOCKOPT.invokeExact(capture, fd, level, option,
                    scratch, scratch.asSlice(LENGTH, Integer.BYTES));
        } catch (Throwable t) {
            throw Fd.unexpected(t);
        }
        return result == 0 ? scratch.get(JAVA_INT, 0) : fail("getsockopt(fd=" + fd + ", " + name + ")", capture);
    }

    /** Binds {@code fd} to {@code address}. */
    public static void bind(MemorySegment capture, MemorySegment scratch, int fd, InetSocketAddress address)
            throws ErrnoException {
        int length = Sockaddr.write(address, scratch);
        int result;
        try {
            result = (int) BIND.invokeExact(capture, fd, scratch, length);
        } catch (Throwable t) {
            throw Fd.unexpected(t);
        }
        if (result != 0) {
            fail("bind(fd=" + fd + ", " + address + ")", capture);
        }
    }

    /** Marks {@code fd} as a listening socket. */
    public static void listen(MemorySegment capture, int fd, int backlog) throws ErrnoException {
        int result;
        try {
            result = (int) LISTEN.invokeExact(capture, fd, backlog);
        } catch (Throwable t) {
            throw Fd.unexpected(t);
        }
        if (result != 0) {
            fail("listen(fd=" + fd + ")", capture);
        }
    }

    /**
     * Accepts one connection as a non-blocking, close-on-exec socket.
     *
     * @return the new fd, or -1 if none is pending (EAGAIN) or the call was interrupted
     * @throws ErrnoException EMFILE, ENFILE, ENOBUFS, ENOMEM, ECONNABORTED, ...
     */
    public static int accept(MemorySegment capture, int fd) throws ErrnoException {
        int result;
        try {
            result = (int) ACCEPT4.invokeExact(capture, fd, MemorySegment.NULL, MemorySegment.NULL,
                    Libc.SOCK_NONBLOCK() | Libc.SOCK_CLOEXEC());
        } catch (Throwable t) {
            throw Fd.unexpected(t);
        }
        return result >= 0 || Fd.wouldBlock(capture) ? result : fail("accept4(fd=" + fd + ")", capture);
    }

    /** Whether accept4 failed because the process or the system is out of fds. */
    public static boolean outOfFds(int errno) {
        return errno == Libc.EMFILE() || errno == Libc.ENFILE();
    }

    /**
     * Whether accept4 failed for the one connection it took (aborted or refused by a
     * firewall rule before it was accepted): others may still be pending.
     */
    public static boolean failedOneConnection(int errno) {
        return errno == Libc.ECONNABORTED() || errno == Libc.EPROTO() || errno == Libc.EPERM();
    }

    /**
     * Starts connecting {@code fd} to {@code address}.
     *
     * @return true if connected at once, false if in progress (wait for OUT, then
     *     {@link #takeError})
     */
    public static boolean connect(MemorySegment capture, MemorySegment scratch, int fd,
                                  InetSocketAddress address) throws ErrnoException {
        int length = Sockaddr.write(address, scratch);
        int result;
        try {
            result = (int) CONNECT.invokeExact(capture, fd, scratch, length);
        } catch (Throwable t) {
            throw Fd.unexpected(t);
        }
        if (result == 0) {
            return true;
        }
        int errno = Errno.errno(capture);
        if (errno == Libc.EINPROGRESS() || errno == Libc.EINTR()) {
            return false;
        }
        throw Errno.exception("connect(fd=" + fd + ", " + address + ")", errno);
    }

    /** Shuts down the writing half: the peer reads EOF once what was sent arrives. */
    public static void shutdownOutput(MemorySegment capture, int fd) throws ErrnoException {
        int result;
        try {
            result = (int) SHUTDOWN.invokeExact(capture, fd, Libc.SHUT_WR());
        } catch (Throwable t) {
            throw Fd.unexpected(t);
        }
        if (result != 0) {
            fail("shutdown(fd=" + fd + ", SHUT_WR)", capture);
        }
    }

    /** The address {@code fd} is bound to. */
    public static InetSocketAddress localAddress(MemorySegment capture, MemorySegment scratch, int fd)
            throws ErrnoException {
        return address(GETSOCKNAME, "getsockname", capture, scratch, fd);
    }

    /** The address of {@code fd}'s peer. */
    public static InetSocketAddress remoteAddress(MemorySegment capture, MemorySegment scratch, int fd)
            throws ErrnoException {
        return address(GETPEERNAME, "getpeername", capture, scratch, fd);
    }

    private static InetSocketAddress address(MethodHandle call, String name, MemorySegment capture,
                                             MemorySegment scratch, int fd) throws ErrnoException {
        scratch.set(JAVA_INT, LENGTH, (int) Sockaddr.STORAGE_SIZE);
        int result;
        try {
            result = (int) call.invokeExact(capture, fd, scratch, scratch.asSlice(LENGTH, Integer.BYTES));
        } catch (Throwable t) {
            throw Fd.unexpected(t);
        }
        if (result != 0) {
            fail(name + "(fd=" + fd + ")", capture);
        }
        return Sockaddr.read(scratch);
    }

    private static void setsockopt(MemorySegment capture, int fd, int level, int option,
                                   MemorySegment value, String name) throws ErrnoException {
        int result;
        try {
            result = (int) SETSOCKOPT.invokeExact(capture, fd, level, option, value, (int) value.byteSize());
        } catch (Throwable t) {
            throw Fd.unexpected(t);
        }
        if (result != 0) {
            fail("setsockopt(fd=" + fd + ", " + name + ")", capture);
        }
    }

    private static String familyName(int family) {
        return family == Libc.AF_INET() ? "AF_INET" : family == Libc.AF_INET6() ? "AF_INET6" : "family " + family;
    }

    private static int fail(String call, MemorySegment capture) throws ErrnoException {
        throw Errno.exception(call, capture);
    }
}
