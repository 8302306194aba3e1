// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.Loop;
import org.epoll4j.transport.stream.ConnectionFactory;
import org.epoll4j.transport.stream.Listener;

/**
 * A server of stream connections (TCP, or a Unix domain socket): one listening socket on
 * an {@link EventLoop}, or one per loop of an
 * {@link EventLoopGroup}. Each connection it accepts is served by one loop and handed
 * to the server's {@link ConnectionHandler}.
 *
 * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="server"}
 *
 * <p>Notes:
 * <ul>
 * <li>Threading: every method may be called from any thread.
 * <li>One readiness event accepts at most {@value #ACCEPT_BUDGET} connections, so a
 *     flood of connects cannot starve the loop's other sources.
 * <li>Out of fds (EMFILE, ENFILE), the server closes a reserved fd, accepts a pending
 *     connection with it and shuts that down at once (its client sees the connection
 *     end), keeping its fd as the reserve; then the next. If it cannot (none is free, or
 *     another thread of the process took the freed one first), it stops accepting for
 *     {@link #ACCEPT_PAUSE} and tries again. Existing connections are served
 *     throughout, and accepting resumes as soon as fds are free.
 * <li>An error of accept(2) that belongs to the one connection it took (ECONNABORTED,
 *     EPERM, or a network error pending on it: ENETDOWN, EPROTO, ENOPROTOOPT, EHOSTDOWN,
 *     ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH) drops that connection, and
 *     accepting goes on at once, as accept(2) advises. Any other (ENOBUFS, ENOMEM) stops
 *     accepting for {@link #ACCEPT_PAUSE}.
 * </ul>
 */
public final class Server {
    /** The most connections accepted per readiness event. */
    public static final int ACCEPT_BUDGET = 64;
    /** How long accepting pauses when no fd can be had for a pending connection. */
    public static final Duration ACCEPT_PAUSE = Duration.ofMillis(100);

    private final List<Listener> listeners;
    private final SocketAddress localAddress;
    private volatile boolean open = true;

    /** Listens on {@code loop}; see {@link EventLoop#listen}. */
    static Server listen(Loop loop, SocketAddress address, ConnectionFactory connections, ListenOption... options)
            throws ErrnoException {
        Objects.requireNonNull(address, "address");
        boolean call = loop.beginLoopCall();
        try {
            return new Server(List.of(Listener.open(loop, address, connections, Set.of(options), null)));
        } finally {
            loop.endLoopCall(call);
        }
    }

    Server(List<Listener> listeners) {
        this.listeners = List.copyOf(listeners);
        this.localAddress = listeners.getFirst().localAddress();
    }

    /**
     * The address the server listens on: for TCP an {@link java.net.InetSocketAddress},
     * with the real port when 0 was asked for.
     *
     * @return the address of its first listening socket (all have the same)
     */
    public SocketAddress localAddress() {
        return localAddress;
    }

    /**
     * Whether the server is still accepting, i.e. not closed (its loops neither).
     *
     * @return false once the server or one of its loops is closing or closed
     */
    public boolean isOpen() {
        if (!open) {
            return false;
        }
        for (Listener listener : listeners) {
            if (!listener.loop().isOpen()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Stops accepting and closes the listening sockets; connections stay. Idempotent.
     * On a listener's own loop thread it closes at once; from any other thread the loop
     * closes it in its next turn.
     */
    public void close() {
        open = false;
        for (Listener listener : listeners) {
            Loop loop = listener.loop();
            if (loop.isLoopThreadNow()) {
                listener.close();
            } else if (!loop.runAsOwner(listener::close)) {
                try {
                    loop.execute(listener::close);
                } catch (RejectedExecutionException e) {
                    // That loop is closing, and closes its listener with it.
                }
            }
        }
    }
}
