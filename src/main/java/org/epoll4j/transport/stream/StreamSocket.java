// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import org.epoll4j.Connection;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.Sockaddr;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.Source;

/**
 * What a {@link Connection}'s socket is, whatever its state: the loop it is on, its
 * peer's address, the limits its output and its close keep to, and its pending error.
 * The first of a connection's layers (see {@link StreamChannel}).
 */
abstract sealed class StreamSocket extends Source permits StreamChannel {
    protected final Loop loop;
    private Limits limits = Limits.DEFAULTS;
    /** The peer's IPv4 address and port, packed (see {@link Sockaddr#unpackIPv4}); 0 if none. */
    private long remoteIPv4;
    /** The peer's address, or where a connect goes; made from remoteIPv4 when first asked for. */
    private SocketAddress remote;

    StreamSocket(Loop loop, int fd, int interest) {
        super(fd, interest);
        this.loop = loop;
    }

    /** The socket's fd; -1 once closed. */
    final int socketFd() {
        return fd;
    }

    final Limits limits() {
        return limits;
    }

    /** Sets the peer's address: packed, if IPv4 from accept4, else {@code address}. */
    final void remote(long ipv4, SocketAddress address) {
        remoteIPv4 = ipv4;
        remote = address;
    }

    /** The socket's pending error (SO_ERROR) as the cause of a close; null if none. */
    final IOException pendingError() {
        int error = pendingErrno();
        return error == 0 ? null : new ErrnoException("getsockopt(fd=" + fd + ", SO_ERROR)", error);
    }

    /** The socket's pending error (SO_ERROR), taken: 0 if none. */
    final int pendingErrno() {
        try {
            return loop.io().sockets.takeError(fd);
        } catch (ErrnoException e) {
            return e.errno();
        }
    }

    // ------------------------------------------------------------ for the API's Connection

    /** See {@link Connection#setWaterMarks}. */
    protected final void waterMarks(int low, int high) {
        limits = limits.withWaterMarks(low, high);
    }

    /** See {@link Connection#setOutputLimit}. */
    protected final void outputLimit(long bytes) {
        limits = limits.withOutputLimit(bytes);
    }

    /** See {@link Connection#setCloseTimeout}. */
    protected final void closeTimeout(Duration timeout) {
        limits = limits.withCloseTimeout(timeout);
    }

    /** The peer's address, as accepted from or connected to. */
    protected final SocketAddress peer() {
        if (remote == null) {
            remote = Sockaddr.unpackIPv4(remoteIPv4);
        }
        return remote;
    }

    /** Whether the peer is a TCP one. */
    protected final boolean isTcp() {
        return remoteIPv4 != 0 || remote instanceof InetSocketAddress;
    }

    /** The fd (-1 once closed) and peer, for messages and logs. Any thread. */
    protected final String describe() {
        SocketAddress peer = remoteIPv4 != 0 ? Sockaddr.unpackIPv4(remoteIPv4) : remote;
        return "connection fd=" + fd + (peer == null ? "" : " peer " + peer);
    }
}
