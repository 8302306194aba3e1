// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;

/**
 * Socket calls (TCP, Unix domain, UDP) on the memory of one {@link Syscalls}: had only
 * from {@link Syscalls#sockets()}, so only epoll4j's own classes reach them. Each method
 * wraps one call; see {@link Sockets} for the details.
 */
public final class SocketCalls {
    private final MemorySegment capture;
    private final MemorySegment scratch;

    SocketCalls(MemorySegment capture, MemorySegment scratch) {
        this.capture = capture;
        this.scratch = scratch;
    }

    /** socket(2): a non-blocking stream socket of {@code address}'s family (TCP or Unix). */
    public int streamSocket(SocketAddress address) throws ErrnoException {
        return Sockets.open(capture, Sockaddr.family(address), Libc.SOCK_STREAM());
    }

    /** socket(2): a non-blocking UDP socket of {@code address}'s family. */
    public int datagramSocket(SocketAddress address) throws ErrnoException {
        return Sockets.open(capture, Sockaddr.family(address), Libc.SOCK_DGRAM());
    }

    /** Whether {@code address} is a Unix domain socket's (a file, or an abstract name). */
    public static boolean isUnix(SocketAddress address) {
        return Sockaddr.family(address) == Libc.AF_UNIX();
    }

    /** socket(2): an unconnected IPv4 TCP socket, an fd to hold in reserve. */
    public int spareFd() throws ErrnoException {
        return Sockets.open(capture, Libc.AF_INET(), Libc.SOCK_STREAM());
    }

    /** setsockopt(SO_REUSEADDR, 1). */
    public void setReuseAddress(int fd) throws ErrnoException {
        Sockets.setInt(capture, scratch, fd, Libc.SOL_SOCKET(), Libc.SO_REUSEADDR(), 1, "SO_REUSEADDR");
    }

    /** setsockopt(SO_REUSEPORT, 1). */
    public void setReusePort(int fd) throws ErrnoException {
        Sockets.setInt(capture, scratch, fd, Libc.SOL_SOCKET(), Libc.SO_REUSEPORT(), 1, "SO_REUSEPORT");
    }

    /** setsockopt(TCP_NODELAY). */
    public void setNoDelay(int fd, boolean on) throws ErrnoException {
        Sockets.setInt(capture, scratch, fd, Libc.IPPROTO_TCP(), Libc.TCP_NODELAY(), on ? 1 : 0, "TCP_NODELAY");
    }

    /** setsockopt(SO_KEEPALIVE). */
    public void setKeepAlive(int fd, boolean on) throws ErrnoException {
        Sockets.setInt(capture, scratch, fd, Libc.SOL_SOCKET(), Libc.SO_KEEPALIVE(), on ? 1 : 0, "SO_KEEPALIVE");
    }

    /** setsockopt(SO_LINGER, 0 s): close(2) then sends a reset and drops unsent output. */
    public void setResetOnClose(int fd) throws ErrnoException {
        Sockets.setLinger(capture, scratch, fd, 0);
    }

    /** getsockopt(SO_ERROR): the socket's pending error, cleared; 0 if none. */
    public int takeError(int fd) throws ErrnoException {
        return Sockets.getInt(capture, scratch, fd, Libc.SOL_SOCKET(), Libc.SO_ERROR(), "SO_ERROR");
    }

    /** bind(2). */
    public void bind(int fd, SocketAddress address) throws ErrnoException {
        Sockets.bind(capture, scratch, fd, address);
    }

    /** listen(2). */
    public void listen(int fd, int backlog) throws ErrnoException {
        Sockets.listen(capture, fd, backlog);
    }

    /**
     * accept4(2), non-blocking and close-on-exec: the new fd, or -1 if none is pending.
     * The peer's address is then {@link #acceptedPeerIPv4()} or {@link #acceptedPeer()}.
     */
    public int accept(int fd) throws ErrnoException {
        return Sockets.accept(capture, scratch, fd);
    }

    /** The last accepted peer's address packed (see {@link Sockaddr#unpackIPv4}), 0 if not IPv4. */
    public long acceptedPeerIPv4() {
        return Sockaddr.packIPv4(scratch);
    }

    /** The last accepted peer's address. */
    public SocketAddress acceptedPeer() {
        return Sockets.readAddress(scratch);
    }

    /** connect(2): true if connected at once, false if in progress (wait for writable, then {@link #takeError}). */
    public boolean connect(int fd, SocketAddress address) throws ErrnoException {
        return Sockets.connect(capture, scratch, fd, address);
    }

    /**
     * recvmmsg(2): up to {@code batch.count()} datagrams into {@code batch}, with their
     * senders and whole lengths (a truncated one is longer than its buffer); how many, 0 if
     * none waits.
     */
    public int receive(int fd, MessageBatch batch) throws ErrnoException {
        return Sockets.receive(capture, fd, batch);
    }

    /**
     * sendmmsg(2) of messages {@code from} to {@code from + n - 1} of {@code batch}: how many
     * went, 0 if none could without blocking. An ErrnoException is the first message's.
     */
    public int send(int fd, MessageBatch batch, int from, int n) throws ErrnoException {
        return Sockets.send(capture, fd, batch, from, n);
    }

    /** shutdown(SHUT_WR): the peer reads the end of stream once what was sent arrives. */
    public void shutdownOutput(int fd) throws ErrnoException {
        Sockets.shutdown(capture, fd, Libc.SHUT_WR(), "SHUT_WR");
    }

    /** shutdown(SHUT_RDWR): the peer reads the end of stream; the fd stays open. */
    public void shutdown(int fd) throws ErrnoException {
        Sockets.shutdown(capture, fd, Libc.SHUT_RDWR(), "SHUT_RDWR");
    }

    /** getsockname(2). */
    public SocketAddress localAddress(int fd) throws ErrnoException {
        return Sockets.localAddress(capture, scratch, fd);
    }

    /** getpeername(2). */
    public SocketAddress remoteAddress(int fd) throws ErrnoException {
        return Sockets.remoteAddress(capture, scratch, fd);
    }

    /** getsockopt(SO_PEERCRED): a Unix socket's peer's pid, uid and gid, as it connected. */
    public int[] peerCredentials(int fd) throws ErrnoException {
        return Sockets.peerCredentials(capture, scratch, fd);
    }

    /** Whether a call failed because the process or the system is out of fds (EMFILE, ENFILE). */
    public static boolean outOfFds(int errno) {
        return errno == Libc.EMFILE() || errno == Libc.ENFILE();
    }

    /**
     * Whether accept4 failed for the one connection it took: aborted, refused by a
     * firewall rule before it was accepted, or a network error already pending on it,
     * which accept(2) says to treat as EAGAIN by retrying. Others may still be pending.
     */
    public static boolean failedOneConnection(int errno) {
        return errno == Libc.ECONNABORTED() || errno == Libc.EPERM() || errno == Libc.EPROTO()
                || errno == Libc.ENETDOWN() || errno == Libc.ENOPROTOOPT() || errno == Libc.EHOSTDOWN()
                || errno == Libc.ENONET() || errno == Libc.EHOSTUNREACH() || errno == Libc.EOPNOTSUPP()
                || errno == Libc.ENETUNREACH();
    }
}
