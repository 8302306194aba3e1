package org.epoll4j;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.Syscalls;

/**
 * A listening TCP socket of an {@link EventLoop}: each connection it accepts is
 * registered with the loop and handed to the server's {@link ConnectionHandler}.
 *
 * {@snippet :
 * Server server = loop.listen(new InetSocketAddress("127.0.0.1", 0), handler);
 * int port = server.localAddress().getPort();   // the port the kernel chose
 * }
 *
 * <p>Notes:
 * <ul>
 * <li>Threading: every method belongs to the loop's thread.
 * <li>One readiness event accepts at most {@value #ACCEPT_BUDGET} connections, so a
 *     flood of connects cannot starve the loop's other sources.
 * <li>Out of fds (EMFILE, ENFILE), the server closes a reserved fd, accepts the
 *     pending connection and closes it at once (the client sees its connection end),
 *     then reserves an fd again. If it cannot, it stops accepting for
 *     {@link #ACCEPT_PAUSE} and tries again. Existing connections are served
 *     throughout, and accepting resumes as soon as fds are free.
 * </ul>
 */
public final class Server extends Source {
    /** The most connections accepted per readiness event. */
    public static final int ACCEPT_BUDGET = 64;
    /** How long accepting pauses when no fd can be had for a pending connection. */
    public static final Duration ACCEPT_PAUSE = Duration.ofMillis(100);

    private static final int BACKLOG = 4096;

    private final EventLoop loop;
    private final ConnectionHandler handler;
    private final InetSocketAddress localAddress;

    Server(EventLoop loop, int fd, ConnectionHandler handler, InetSocketAddress localAddress) {
        super(fd, Interest.READ);
        this.loop = loop;
        this.handler = handler;
        this.localAddress = localAddress;
    }

    /** Binds and listens on {@code address}, and registers the socket with {@code loop}. */
    static Server open(EventLoop loop, InetSocketAddress address, ConnectionHandler handler,
                       boolean reusePort) throws ErrnoException {
        Syscalls sys = loop.io().sys;
        int fd = sys.socket(address);
        try {
            sys.setReuseAddress(fd);
            if (reusePort) {
                sys.setReusePort(fd);
            }
            sys.bind(fd, address);
            sys.listen(fd, BACKLOG);
            Server server = new Server(loop, fd, handler, sys.localAddress(fd));
            loop.registry().add(server);
            return server;
        } catch (ErrnoException | RuntimeException e) {
            sys.close(fd);
            throw e;
        }
    }

    /** The address the server listens on, with the real port when 0 was asked for. */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** Whether the server is still accepting, i.e. not closed. */
    public boolean isOpen() {
        loop.checkInLoop();
        return fd >= 0;
    }

    /** Stops accepting and closes the listening socket; connections stay. Idempotent. */
    public void close() {
        loop.checkInLoop();
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
        for (int i = 0; i < ACCEPT_BUDGET && fd >= 0; i++) {
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

    /** Registers an accepted socket and opens its connection. */
    private void adopt(int accepted) {
        Syscalls sys = loop.io().sys;
        Connection connection = new Connection(loop, handler, accepted, true);
        long ipv4 = sys.acceptedPeerIPv4();
        connection.acceptedFrom(ipv4, ipv4 == 0 ? sys.acceptedPeer() : null);
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
        loop.schedule(ACCEPT_PAUSE, () -> {
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
