// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.SocketAddress;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;
import org.epoll4j.ffi.linger;
import org.epoll4j.ffi.ucred;

/**
 * Socket calls on non-blocking, close-on-exec sockets (TCP, Unix, UDP), one system call a method.
 * {@code capture} receives errno; {@code scratch} ({@link #SCRATCH_SIZE} bytes) holds
 * addresses and option values during the call.
 * See <a href="https://man7.org/linux/man-pages/man7/socket.7.html">socket(7)</a>.
 */
final class Sockets {
    /* scratch: [sockaddr_storage][socklen_t or int option][struct linger][struct ucred] */
    private static final long LENGTH = Sockaddr.STORAGE_SIZE;
    private static final long LINGER = LENGTH + Long.BYTES;
    private static final long UCRED = LINGER + linger.layout().byteSize();
    static final long SCRATCH_SIZE = UCRED + ucred.layout().byteSize();

    private static final MethodHandle SOCKET = Errno.capturing("socket", Libc.socket$descriptor());
    private static final MethodHandle SETSOCKOPT =
            Errno.capturing("setsockopt", Libc.setsockopt$descriptor());
    private static final MethodHandle GETSOCKOPT =
            Errno.capturing("getsockopt", Libc.getsockopt$descriptor());
    private static final MethodHandle BIND = Errno.capturing("bind", Libc.bind$descriptor());
    private static final MethodHandle LISTEN = Errno.capturing("listen", Libc.listen$descriptor());
    private static final MethodHandle ACCEPT4 =
            Errno.capturingCritical("accept4", Libc.accept4$descriptor());
    private static final MethodHandle CONNECT =
            Errno.capturingCritical("connect", Libc.connect$descriptor());
    private static final MethodHandle SHUTDOWN =
            Errno.capturingCritical("shutdown", Libc.shutdown$descriptor());
    private static final MethodHandle GETSOCKNAME =
            Errno.capturing("getsockname", Libc.getsockname$descriptor());
    private static final MethodHandle RECVMMSG =
            Errno.capturingCritical("recvmmsg", Libc.recvmmsg$descriptor());
    private static final MethodHandle SENDMMSG =
            Errno.capturingCritical("sendmmsg", Libc.sendmmsg$descriptor());
    private static final MethodHandle GETPEERNAME =
            Errno.capturing("getpeername", Libc.getpeername$descriptor());

    private Sockets() {}

    /** socket(2): a socket of {@code family} (AF_INET, AF_INET6, AF_UNIX) and {@code type} (SOCK_STREAM, SOCK_DGRAM). */
    static int open(MemorySegment capture, int family, int type) throws ErrnoException {
        int fd;
        try {
            fd = (int) SOCKET.invokeExact(capture, family, type | Libc.SOCK_NONBLOCK() | Libc.SOCK_CLOEXEC(), 0);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        return fd >= 0 ? fd : fail("socket(" + familyName(family) + ", "
                + (type == Libc.SOCK_STREAM() ? "SOCK_STREAM" : "SOCK_DGRAM") + ")", capture);
    }

    /** setsockopt(2) of an int option; {@code name} is for the error message. */
    static void setInt(MemorySegment capture, MemorySegment scratch, int fd, int level, int option, int value,
                       String name) throws ErrnoException {
        scratch.set(JAVA_INT, LENGTH, value);
        setsockopt(capture, fd, level, option, scratch.asSlice(LENGTH, Integer.BYTES), name);
    }

    /** setsockopt(2) of SO_LINGER: with {@code seconds} 0, close(2) resets the connection. */
    static void setLinger(MemorySegment capture, MemorySegment scratch, int fd, int seconds) throws ErrnoException {
        MemorySegment value = scratch.asSlice(LINGER, linger.layout().byteSize());
        value.set(JAVA_INT, linger.l_onoff$offset(), 1);
        value.set(JAVA_INT, linger.l_linger$offset(), seconds);
        setsockopt(capture, fd, Libc.SOL_SOCKET(), Libc.SO_LINGER(), value, "SO_LINGER");
    }

    /** getsockopt(2) of an int option; {@code name} is for the error message. */
    static int getInt(MemorySegment capture, MemorySegment scratch, int fd, int level, int option, String name)
            throws ErrnoException {
        scratch.set(JAVA_INT, 0, 0);
        scratch.set(JAVA_INT, LENGTH, Integer.BYTES);
        int result;
        try {
            result = (int) GETSOCKOPT.invokeExact(capture, fd, level, option,
                    scratch, scratch.asSlice(LENGTH, Integer.BYTES));
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        return result == 0 ? scratch.get(JAVA_INT, 0) : fail("getsockopt(fd=" + fd + ", " + name + ")", capture);
    }

    /** getsockopt(2) of SO_PEERCRED: the peer's pid, uid and gid, as it connected. */
    static int[] peerCredentials(MemorySegment capture, MemorySegment scratch, int fd) throws ErrnoException {
        MemorySegment value = scratch.asSlice(UCRED, ucred.layout().byteSize());
        scratch.set(JAVA_INT, LENGTH, (int) value.byteSize());
        int result;
        try {
            result = (int) GETSOCKOPT.invokeExact(capture, fd, Libc.SOL_SOCKET(), Libc.SO_PEERCRED(),
                    value, scratch.asSlice(LENGTH, Integer.BYTES));
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        if (result != 0) {
            fail("getsockopt(fd=" + fd + ", SO_PEERCRED)", capture);
        }
        return new int[] {ucred.pid(value), ucred.uid(value), ucred.gid(value)};
    }

    /** bind(2). */
    static void bind(MemorySegment capture, MemorySegment scratch, int fd, SocketAddress address)
            throws ErrnoException {
        int length = Sockaddr.write(address, scratch);
        int result;
        try {
            result = (int) BIND.invokeExact(capture, fd, scratch, length);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        if (result != 0) {
            fail("bind(fd=" + fd + ", " + address + ")", capture);
        }
    }

    /** listen(2). */
    static void listen(MemorySegment capture, int fd, int backlog) throws ErrnoException {
        int result;
        try {
            result = (int) LISTEN.invokeExact(capture, fd, backlog);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        if (result != 0) {
            fail("listen(fd=" + fd + ")", capture);
        }
    }

    /**
     * accept4(2) as a non-blocking, close-on-exec socket; the peer's address is left in
     * {@code scratch} for {@link Sockaddr}.
     *
     * @return the new fd, or -1 if none is pending (EAGAIN) or the call was interrupted
     */
    static int accept(MemorySegment capture, MemorySegment scratch, int fd) throws ErrnoException {
        scratch.set(JAVA_INT, LENGTH, (int) Sockaddr.STORAGE_SIZE);
        int result;
        try {
            result = (int) ACCEPT4.invokeExact(capture, fd, scratch, scratch.asSlice(LENGTH, Integer.BYTES),
                    Libc.SOCK_NONBLOCK() | Libc.SOCK_CLOEXEC());
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        return result >= 0 || Errno.wouldBlock(capture) ? result : fail("accept4(fd=" + fd + ")", capture);
    }

    /**
     * connect(2).
     *
     * @return true if connected at once, false if in progress
     */
    static boolean connect(MemorySegment capture, MemorySegment scratch, int fd, SocketAddress address)
            throws ErrnoException {
        int length = Sockaddr.write(address, scratch);
        int result;
        try {
            result = (int) CONNECT.invokeExact(capture, fd, scratch, length);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        if (result == 0) {
            return true;
        }
        int errno = Errno.errno(capture);
        if (errno == Libc.EINPROGRESS() || errno == Libc.EINTR()) {
            return false;
        }
        throw new ErrnoException("connect(fd=" + fd + ", " + address + ")", errno);
    }

    /** recvmmsg(2) with MSG_TRUNC (lengths are whole datagrams' lengths): how many, 0 if none waits. */
    static int receive(MemorySegment capture, int fd, MessageBatch batch) throws ErrnoException {
        batch.readyToReceive();
        int n;
        try {
            n = (int) RECVMMSG.invokeExact(capture, fd, batch.headers(0, batch.count()), batch.count(),
                    Libc.MSG_TRUNC(), MemorySegment.NULL);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        return n >= 0 || Errno.wouldBlock(capture) ? Math.max(n, 0) : fail("recvmmsg(fd=" + fd + ")", capture);
    }

    /**
     * sendmmsg(2) of {@code n} messages of {@code batch} from message {@code from}: how many
     * went, 0 if none could without blocking. A failure is the first message's.
     */
    static int send(MemorySegment capture, int fd, MessageBatch batch, int from, int n) throws ErrnoException {
        int sent;
        try {
            sent = (int) SENDMMSG.invokeExact(capture, fd, batch.headers(from, n), n, 0);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        return sent >= 0 || Errno.wouldBlock(capture) ? Math.max(sent, 0) : fail("sendmmsg(fd=" + fd + ")", capture);
    }

    /** shutdown(2); {@code name} is how's name, for the message. */
    static void shutdown(MemorySegment capture, int fd, int how, String name) throws ErrnoException {
        int result;
        try {
            result = (int) SHUTDOWN.invokeExact(capture, fd, how);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        if (result != 0) {
            fail("shutdown(fd=" + fd + ", " + name + ")", capture);
        }
    }

    /** getsockname(2). */
    static SocketAddress localAddress(MemorySegment capture, MemorySegment scratch, int fd)
            throws ErrnoException {
        return address(GETSOCKNAME, "getsockname", capture, scratch, fd);
    }

    /** getpeername(2). */
    static SocketAddress remoteAddress(MemorySegment capture, MemorySegment scratch, int fd)
            throws ErrnoException {
        return address(GETPEERNAME, "getpeername", capture, scratch, fd);
    }

    private static SocketAddress address(MethodHandle call, String name, MemorySegment capture,
                                             MemorySegment scratch, int fd) throws ErrnoException {
        scratch.set(JAVA_INT, LENGTH, (int) Sockaddr.STORAGE_SIZE);
        int result;
        try {
            result = (int) call.invokeExact(capture, fd, scratch, scratch.asSlice(LENGTH, Integer.BYTES));
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        if (result != 0) {
            fail(name + "(fd=" + fd + ")", capture);
        }
        return readAddress(scratch);
    }

    /** The address a call left in {@code scratch}, with its length. */
    static SocketAddress readAddress(MemorySegment scratch) {
        return Sockaddr.read(scratch, scratch.get(JAVA_INT, LENGTH));
    }

    private static void setsockopt(MemorySegment capture, int fd, int level, int option,
                                   MemorySegment value, String name) throws ErrnoException {
        int result;
        try {
            result = (int) SETSOCKOPT.invokeExact(capture, fd, level, option, value, (int) value.byteSize());
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        if (result != 0) {
            fail("setsockopt(fd=" + fd + ", " + name + ")", capture);
        }
    }

    private static String familyName(int family) {
        if (family == Libc.AF_UNIX()) {
            return "AF_UNIX";
        }
        return family == Libc.AF_INET() ? "AF_INET" : family == Libc.AF_INET6() ? "AF_INET6" : "family " + family;
    }

    private static int fail(String call, MemorySegment capture) throws ErrnoException {
        throw Errno.exception(call, capture);
    }
}
