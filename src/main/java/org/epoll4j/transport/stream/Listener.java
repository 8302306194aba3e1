// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.epoll4j.ListenOption;
import org.epoll4j.Server;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;
import org.epoll4j.kernel.SocketCalls;
import org.epoll4j.loop.FdReserve;
import org.epoll4j.loop.Interest;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.LoopEvents;
import org.epoll4j.loop.Source;

/**
 * A listening stream socket (TCP, or Unix domain) on one loop: the kernel side of a
 * {@link Server}. It accepts up to {@link Server#ACCEPT_BUDGET} connections per readiness
 * event and registers each with its own loop, or hands it to another loop of a group,
 * which registers it there. Out of fds it sheds pending connections with the loop's
 * reserve fd, or pauses. A Unix socket's file is removed when it closes.
 */
public final class Listener extends Source {
    private static final int BACKLOG = 4096;

    private final Loop loop;
    private final ConnectionFactory connections;
    private final SocketAddress localAddress;
    /** Where accepted connections go: this listener's loop, or each in turn of a group's. */
    private final Supplier<Loop> placement;
    private final boolean tcp;
    /** The identity (device, inode) of the socket file that bind made; null for TCP and abstract names. */
    private final Object socketFile;

    private Listener(Loop loop, int fd, ConnectionFactory connections, SocketAddress localAddress,
                     Supplier<Loop> placement, boolean tcp, Object socketFile) {
        super(fd, Interest.READ);
        this.loop = loop;
        this.connections = connections;
        this.localAddress = localAddress;
        this.placement = placement;
        this.tcp = tcp;
        this.socketFile = socketFile;
    }

    /**
     * Binds and listens on {@code address}, and registers the socket with {@code loop}; on
     * the loop's thread. Accepted connections go to the loop {@code placement} names, or to
     * {@code loop} if null.
     */
    public static Listener open(Loop loop, SocketAddress address, ConnectionFactory connections, Set<ListenOption> options,
                         Supplier<Loop> placement) throws ErrnoException {
        loop.checkCanAdd();
        boolean tcp = !SocketCalls.isUnix(address);
        if (!tcp && options.contains(ListenOption.REPLACE_SOCKET_FILE)) {
            removeSocketFile(address);
        }
        loop.io().reserve.fill();
        SocketCalls sockets = loop.io().sockets;
        int fd = sockets.streamSocket(address);
        Object socketFile = null;
        try {
            if (tcp) {
                sockets.setReuseAddress(fd);
                if (options.contains(ListenOption.REUSE_PORT)) {
                    sockets.setReusePort(fd);
                }
            }
            bind(sockets, fd, address);
            socketFile = fileKey(address);
            sockets.listen(fd, BACKLOG);
            Listener listener = new Listener(loop, fd, connections, tcp ? sockets.localAddress(fd) : address, placement,
                    tcp, socketFile);
            loop.registry().add(listener);
            return listener;
        } catch (ErrnoException | RuntimeException e) {
            loop.io().sys.close(fd);
            removeSocketFile(address, socketFile);
            throw e;
        }
    }

    /**
     * Opens the first of a group's listeners on a TCP port that it shares with its own
     * only: with SO_REUSEPORT, as the others then are, on a port where no other socket
     * listens. A socket with SO_REUSEPORT joins any listeners of the port that set it too
     * (and have the same user), so the port is first bound by a socket without it, which
     * fails with EADDRINUSE if any socket listens there, and which holds the port until
     * this listener listens. From then on, any socket without SO_REUSEPORT fails to bind
     * the port, epoll4j's own first listeners included.
     */
    public static Listener openOwnPort(Loop loop, SocketAddress address, ConnectionFactory connections)
            throws ErrnoException {
        loop.checkCanAdd();
        SocketCalls sockets = loop.io().sockets;
        int claim = sockets.streamSocket(address);
        try {
            sockets.setReuseAddress(claim); // as the listener: connections of an earlier server in TIME_WAIT do not count
            try {
                sockets.bind(claim, address);
            } catch (ErrnoException e) {
                if (e.errno() == Libc.EADDRINUSE()) {
                    throw new ErrnoException("bind(fd=" + claim + ", " + address + "): another socket listens on the"
                            + " port; ListenOption.REUSE_PORT shares it with the servers that ask to", e.errno());
                }
                throw e;
            }
            SocketAddress port = sockets.localAddress(claim); // port 0: the one the kernel picked
            return open(loop, port, connections, Set.of(ListenOption.REUSE_PORT), null);
        } finally {
            loop.io().sys.close(claim);
        }
    }

    /** bind(2), with the remedy in the message when a Unix socket's file is in the way. */
    private static void bind(SocketCalls sockets, int fd, SocketAddress address) throws ErrnoException {
        try {
            sockets.bind(fd, address);
        } catch (ErrnoException e) {
            if (e.errno() == Libc.EADDRINUSE() && address instanceof UnixDomainSocketAddress unix) {
                throw new ErrnoException("bind(fd=" + fd + ", " + unix.getPath() + ": a file is there; remove it, or"
                        + " listen with ListenOption.REPLACE_SOCKET_FILE if it is a socket left behind)", e.errno());
            }
            throw e;
        }
    }

    /** Removes the socket file at {@code address}'s path, if there is one; any other file stays. */
    private static void removeSocketFile(SocketAddress address) {
        if (address instanceof UnixDomainSocketAddress unix) {
            Path path = unix.getPath();
            try {
                Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                if (((Integer) mode & S_IFMT) == S_IFSOCK) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException e) {
                // None there, or unreadable: bind says what is wrong, if anything.
            }
        }
    }

    /**
     * Removes the socket file at {@code address}'s path if it is still the one bind made
     * ({@code fileKey}): another server may have replaced it (ListenOption.REPLACE_SOCKET_FILE)
     * and listen there now.
     */
    private static void removeSocketFile(SocketAddress address, Object fileKey) {
        if (fileKey != null && fileKey.equals(fileKey(address))) {
            removeSocketFile(address);
        }
    }

    /** The identity of the file at a Unix address's path: null for TCP, an abstract name, or no file. */
    private static Object fileKey(SocketAddress address) {
        if (!(address instanceof UnixDomainSocketAddress unix)) {
            return null;
        }
        try {
            return Files.readAttributes(unix.getPath(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /* The file type bits of st_mode, and a socket's (stat(2), the same on every Linux). */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    /** The address it listens on, with the real port when 0 was asked for. */
    public SocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public String toString() {
        return "server fd=" + fd + " on " + localAddress;
    }

    public Loop loop() {
        return loop;
    }

    /** Stops accepting and closes the listening socket; connections stay. Idempotent; the loop's thread. */
    public void close() {
        closeWithLoop();
    }

    @Override
    protected void closeWithLoop() {
        if (fd >= 0) {
            loop.registry().close(this, loop.io().sys);
            removeSocketFile(localAddress, socketFile);
        }
    }

    @Override
    protected void ready(int events) {
        for (int i = 0; i < Server.ACCEPT_BUDGET && fd >= 0; i++) {
            int accepted;
            try {
                accepted = loop.io().sockets.accept(fd);
            } catch (ErrnoException e) {
                if (!recover(e, i == 0)) {
                    return;
                }
                continue;
            }
            if (accepted < 0) {
                return;
            }
            adopt(accepted);
        }
    }

    /** Hands an accepted socket to its loop, which registers it and opens its connection. */
    private void adopt(int accepted) {
        SocketCalls sockets = loop.io().sockets;
        long ipv4 = sockets.acceptedPeerIPv4();
        SocketAddress peer = ipv4 == 0 ? sockets.acceptedPeer() : null;
        Loop target = placement == null ? loop : placement.get();
        if (target == loop) {
            adopt(loop, connections, accepted, ipv4, peer, tcp);
            return;
        }
        try {
            target.execute(() -> adopt(target, connections, accepted, ipv4, peer, tcp));
        } catch (RejectedExecutionException e) {
            loop.io().sys.close(accepted); // that loop is closing: the client sees its connection end
        }
    }

    /** Registers an accepted socket with {@code loop}, on its thread, and opens its connection. */
    private static void adopt(Loop loop, ConnectionFactory connections, int accepted, long ipv4, SocketAddress peer,
                              boolean tcp) {
        StreamOutput connection;
        try {
            connection = connections.open(loop, accepted, true);
        } catch (RuntimeException e) {
            // The connection could not be made (a TLS engine, say): the client sees it end.
            loop.io().sys.close(accepted);
            loop.report("making an accepted connection, which was closed", e);
            return;
        }
        connection.remote(ipv4, peer);
        try {
            if (tcp) {
                loop.io().sockets.setNoDelay(accepted, true);
            }
            loop.registry().add(connection);
        } catch (ErrnoException e) {
            // Reset before it was registered, or no room in the epoll set: drop it.
            loop.io().sys.close(accepted);
            return;
        }
        connection.opened();
    }

    /**
     * Handles a failed accept; returns whether to go on accepting. {@code first}: the first
     * accept since epoll said the socket is readable, so a connection surely waits.
     */
    private boolean recover(ErrnoException e, boolean first) {
        int errno = e.errno();
        if (SocketCalls.outOfFds(errno)) {
            if (!first) {
                // accept(2) wants a free fd before it looks for a connection: this EMFILE does
                // not say that one waits. If one does, epoll says so next turn.
                return false;
            }
            int outcome = loop.io().reserve.refuse(fd);
            boolean paused = outcome == FdReserve.OUT_OF_FDS;
            if (LoopEvents.recording()) {
                StreamEvents.acceptOutOfFds(this, e.errnoName(), outcome == FdReserve.REFUSED,
                        paused ? Server.ACCEPT_PAUSE.toNanos() : 0);
            }
            if (!paused) {
                return false; // one refused, or none was pending; epoll tells of the next
            }
        } else if (SocketCalls.failedOneConnection(errno)) {
            return true; // that one connection failed; others may be pending
        }
        pause();
        return false;
    }

    private void pause() {
        try {
            loop.registry().modify(this, Interest.NONE);
        } catch (ErrnoException e) {
            loop.report("pausing accept on " + localAddress, e);
            return;
        }
        loop.api().schedule(Server.ACCEPT_PAUSE, () -> {
            if (fd >= 0) {
                try {
                    loop.registry().modify(this, Interest.READ);
                } catch (ErrnoException e) {
                    loop.report("resuming accept on " + localAddress, e);
                }
            }
        });
    }
}
