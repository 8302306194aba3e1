package org.epoll4j;

import java.net.InetSocketAddress;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.Syscalls;

/**
 * A listening TCP socket on one loop: the kernel side of a {@link Server}. It accepts
 * up to {@link Server#ACCEPT_BUDGET} connections per readiness event and registers each
 * with its own loop, or hands it to another loop of a group, which registers it there.
 * Out of fds it sheds pending connections with the loop's reserve fd, or pauses.
 */
final class Listener extends Source {
    private static final int BACKLOG = 4096;

    private final EventLoop loop;
    private final ConnectionHandler handler;
    private final InetSocketAddress localAddress;
    /** Where accepted connections go: this listener's loop, or each in turn of a group's. */
    private final Supplier<EventLoop> placement;

    private Listener(EventLoop loop, int fd, ConnectionHandler handler, InetSocketAddress localAddress,
                     Supplier<EventLoop> placement) {
        super(fd, Interest.READ);
        this.loop = loop;
        this.handler = handler;
        this.localAddress = localAddress;
        this.placement = placement;
    }

    /**
     * Binds and listens on {@code address}, and registers the socket with {@code loop}; on
     * the loop's thread. Accepted connections go to the loop {@code placement} names, or to
     * {@code loop} if null.
     */
    static Listener open(EventLoop loop, InetSocketAddress address, ConnectionHandler handler, boolean reusePort,
                         Supplier<EventLoop> placement) throws ErrnoException {
        loop.checkCanAdd();
        loop.io().reserve.fill();
        Syscalls sys = loop.io().sys;
        int fd = sys.socket(address);
        try {
            sys.setReuseAddress(fd);
            if (reusePort) {
                sys.setReusePort(fd);
            }
            sys.bind(fd, address);
            sys.listen(fd, BACKLOG);
            Listener listener = new Listener(loop, fd, handler, sys.localAddress(fd), placement);
            loop.registry().add(listener);
            return listener;
        } catch (ErrnoException | RuntimeException e) {
            sys.close(fd);
            throw e;
        }
    }

    /** The address it listens on, with the real port when 0 was asked for. */
    InetSocketAddress localAddress() {
        return localAddress;
    }

    EventLoop loop() {
        return loop;
    }

    /** Stops accepting and closes the listening socket; connections stay. Idempotent; the loop's thread. */
    void close() {
        closeWithLoop();
    }

    @Override
    void closeWithLoop() {
        if (fd >= 0) {
            loop.registry().remove(this);
            loop.io().sys.close(fd);
            fd = -1;
        }
    }

    @Override
    void ready(int events) {
        for (int i = 0; i < Server.ACCEPT_BUDGET && fd >= 0; i++) {
            int accepted;
            try {
                accepted = loop.io().sys.accept(fd);
            } catch (ErrnoException e) {
                if (!recover(e)) {
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
        Syscalls sys = loop.io().sys;
        long ipv4 = sys.acceptedPeerIPv4();
        InetSocketAddress peer = ipv4 == 0 ? sys.acceptedPeer() : null;
        EventLoop target = placement == null ? loop : placement.get();
        if (target == loop) {
            adopt(loop, handler, accepted, ipv4, peer);
            return;
        }
        try {
            target.execute(() -> adopt(target, handler, accepted, ipv4, peer));
        } catch (RejectedExecutionException e) {
            sys.close(accepted); // that loop is closing: the client sees its connection end
        }
    }

    /** Registers an accepted socket with {@code loop}, on its thread, and opens its connection. */
    private static void adopt(EventLoop loop, ConnectionHandler handler, int accepted, long ipv4,
                              InetSocketAddress peer) {
        Syscalls sys = loop.io().sys;
        Connection connection = new Connection(loop, handler, accepted, true);
        connection.remote(ipv4, peer);
        try {
            sys.setNoDelay(accepted, true);
            loop.registry().add(connection);
        } catch (ErrnoException e) {
            // Reset before it was registered, or no room in the epoll set: drop it.
            sys.close(accepted);
            return;
        }
        connection.opened();
    }

    /** Handles a failed accept; returns whether to go on accepting. */
    private boolean recover(ErrnoException e) {
        int errno = e.errno();
        if (Syscalls.outOfFds(errno)) {
            int shed = loop.io().reserve.shed(fd);
            if (shed != FdReserve.OUT_OF_FDS) {
                return shed == FdReserve.SHED;
            }
        } else if (Syscalls.failedOneConnection(errno)) {
            return true; // that one connection failed; others may be pending
        }
        pause();
        return false;
    }

    private void pause() {
        try {
            loop.registry().modify(this, Interest.NONE);
        } catch (ErrnoException e) {
            loop.report(e);
            return;
        }
        loop.schedule(Server.ACCEPT_PAUSE, () -> {
            if (fd >= 0) {
                try {
                    loop.registry().modify(this, Interest.READ);
                } catch (ErrnoException e) {
                    loop.report(e);
                }
            }
        });
    }
}
