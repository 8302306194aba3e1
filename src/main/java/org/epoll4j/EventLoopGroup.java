// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.transport.stream.ConnectionFactory;

/**
 * Several {@link EventLoop}s, each running on a thread of its own: one per core, by
 * default. A server on the group spreads its connections over the loops; a connection
 * stays on its loop for life ({@link Connection#loop()}).
 *
 * {@snippet class="org.epoll4j.snippets.GroupSnippets" region="group"}
 *
 * <p>Blocking work goes to virtual threads, and the answer back through
 * {@link Connection#write}, which any thread may call:
 *
 * {@snippet class="org.epoll4j.snippets.GroupSnippets" region="virtual-threads"}
 *
 * <p>Notes:
 * <ul>
 * <li>How a server shares its port among the loops is a {@link Sharing}; the default is
 *     {@link Sharing#REUSE_PORT}. The port is the group's own: a server or group that
 *     listens there already, or later, fails with EADDRINUSE, unless both ask to share
 *     it ({@link ListenOption#REUSE_PORT}).
 * <li>Threading: every method may be called from any thread. {@link #listen} waits until
 *     every loop listens, so it may not be called from one of the group's loops.
 * <li>The loops' threads are platform threads named {@code epoll4j-loop-N}. A loop whose
 *     {@code run()} fails (a {@link VirtualMachineError} from a handler) is reported to its
 *     {@link ErrorHandler} and closed by its thread at once: its connections end, their
 *     {@code onClose} run, and its listener closes. The other loops go on: with
 *     {@link Sharing#REUSE_PORT} the kernel gives the port's connections to their
 *     listeners; with {@link Sharing#HAND_OFF}, {@link #next()} and {@link #connect} skip
 *     the closed loop, but if it is the first, the server's one listener is gone with it.
 * </ul>
 */
public final class EventLoopGroup implements AutoCloseable {
    /**
     * How the loops of a group share a server's port.
     *
     * {@snippet class="org.epoll4j.snippets.GroupSnippets" region="sharing"}
     */
    public enum Sharing {
        /**
         * A listening socket per loop, all bound to the port with SO_REUSEPORT: the kernel
         * hashes each new connection to one of them. No loop does another's work, and
         * connections spread evenly over many clients; a few long-lived connections may
         * land unevenly, and a loop busier than the others still gets its share. The port
         * stays the group's own (see {@link EventLoopGroup#listen(SocketAddress,
         * ConnectionHandler, Sharing, ListenOption...)}).
         */
        REUSE_PORT,
        /**
         * One listening socket, on the first loop, which accepts every connection and
         * hands each to the loops in turn. Connections spread exactly evenly, whatever
         * their source; the first loop pays for every accept and each connection costs a
         * task on its loop.
         */
        HAND_OFF
    }

    private final List<EventLoop> loops;
    private final LoopThreads threads;
    private final AtomicInteger next = new AtomicInteger();

    private EventLoopGroup(List<EventLoop> loops) {
        this.loops = List.copyOf(loops);
        this.threads = new LoopThreads(this.loops);
    }

    /**
     * Opens one loop per available processor, each running on a thread of its own.
     *
     * @return the group, running, which the caller closes
     * @throws ErrnoException EMFILE, ENFILE or ENOMEM
     * @throws UnsupportedOperationException as {@link EventLoop#open()}
     */
    public static EventLoopGroup open() throws ErrnoException {
        return open(Runtime.getRuntime().availableProcessors());
    }

    /**
     * Opens {@code loops} loops, each running on a thread of its own.
     *
     * @param loops how many loops
     * @return the group, running, which the caller closes
     * @throws IllegalArgumentException if loops is not positive
     * @throws ErrnoException EMFILE, ENFILE or ENOMEM
     * @throws UnsupportedOperationException as {@link EventLoop#open()}
     */
    public static EventLoopGroup open(int loops) throws ErrnoException {
        if (loops <= 0) {
            throw new IllegalArgumentException("a group needs at least one loop: " + loops);
        }
        List<EventLoop> opened = new ArrayList<>();
        try {
            for (int i = 0; i < loops; i++) {
                opened.add(EventLoop.open());
            }
        } catch (ErrnoException | RuntimeException | Error e) {
            opened.forEach(EventLoop::close);
            throw e;
        }
        return new EventLoopGroup(opened);
    }

    /**
     * The group's loops, in order.
     *
     * @return an unmodifiable list of the loops
     */
    public List<EventLoop> loops() {
        return loops;
    }

    /**
     * The sum of the loops' {@link EventLoop#metrics()}: the group's connections, queued
     * output, turns, wake-ups and tasks, and the busy and idle time of its threads
     * together. Any thread.
     *
     * @return the loops' counters, added up
     */
    public LoopMetrics metrics() {
        LoopMetrics sum = loops.getFirst().metrics();
        for (EventLoop loop : loops.subList(1, loops.size())) {
            sum = sum.plus(loop.metrics());
        }
        return sum;
    }

    /**
     * Sets every loop's {@link ErrorHandler} ({@link EventLoop#setErrorHandler}). Any thread.
     *
     * @param handler where the loops' failures go from now on
     */
    public void setErrorHandler(ErrorHandler handler) {
        Objects.requireNonNull(handler, "handler");
        loops.forEach(loop -> loop.setErrorHandler(handler));
    }

    /**
     * The loops in turn: the next to give new work to. A loop that closed (one whose
     * {@code run()} failed) is skipped while another is open.
     *
     * @return one loop after another, round-robin
     */
    public EventLoop next() {
        int start = next.getAndIncrement();
        for (int i = 0; i < loops.size(); i++) {
            EventLoop loop = loops.get(Math.floorMod(start + i, loops.size()));
            if (loop.isOpen()) {
                return loop;
            }
        }
        return loops.get(Math.floorMod(start, loops.size())); // every loop is closed: any refuses the work
    }

    /**
     * Listens on {@code address} (as {@link EventLoop#listen}; for TCP, port 0 is any free
     * port, the same for every loop), sharing the port among the loops as
     * {@link Sharing#REUSE_PORT}, and with no one else; accepted connections go to
     * {@code handler}.
     *
     * @param address where to listen
     * @param handler what the accepted connections do, on their loops' threads; one instance
     *     serves them all
     * @return the server, listening on every loop
     * @throws ErrnoException EADDRINUSE (another socket listens on the port), EACCES,
     *     EADDRNOTAVAIL, EMFILE, ...
     * @throws IllegalStateException if called from one of the group's loops, or the group is closed
     */
    public Server listen(SocketAddress address, ConnectionHandler handler) throws ErrnoException {
        return listen(address, handler, Sharing.REUSE_PORT);
    }

    /**
     * Listens on {@code address}, sharing the port among the loops as {@code sharing} says,
     * and with no one else: as {@link #listen(SocketAddress, ConnectionHandler, Sharing,
     * ListenOption...)} without options.
     *
     * @param address where to listen
     * @param handler what the accepted connections do, on their loops' threads; one instance
     *     serves them all
     * @param sharing how the loops share the port
     * @return the server, listening
     * @throws ErrnoException EADDRINUSE (another socket listens on the port), EACCES,
     *     EADDRNOTAVAIL, EMFILE, ...
     * @throws IllegalStateException if called from one of the group's loops, or the group is closed
     */
    public Server listen(SocketAddress address, ConnectionHandler handler, Sharing sharing) throws ErrnoException {
        return listen(address, handler, sharing, new ListenOption[0]);
    }

    /**
     * Listens on {@code address}, sharing the port among the loops as {@code sharing} says.
     * A Unix domain socket is always shared as {@link Sharing#HAND_OFF} (SO_REUSEPORT is
     * TCP's and UDP's).
     *
     * <p>The port is the group's own: if another socket listens there, of this process or
     * another, this fails with EADDRINUSE, and a server that tries to listen there later
     * fails so too, unless it asks to share the port (SO_REUSEPORT, which the group's own
     * listeners set to share it among its loops, lets such a server in; a group of one
     * loop sets nothing, and then no one else can listen there). With {@link ListenOption#REUSE_PORT}
     * the group shares it: its listeners join those of the port that set SO_REUSEPORT (for
     * example another group's given that option too, or another process's), and any socket
     * that sets it may join them later; the kernel spreads the connections among them all.
     * Only sockets of the same user may share a port this way (the kernel's rule).
     *
     * <p>Notes: the port is checked as the server opens, by a socket bound to it without
     * SO_REUSEPORT, held until the first listener listens. Two groups that open the same
     * port within those few system calls of each other may both succeed.
     *
     * @param address where to listen
     * @param handler what the accepted connections do, on their loops' threads; one instance
     *     serves them all
     * @param sharing how the loops share the port
     * @param options {@link ListenOption#REUSE_PORT} to share the port with other servers that
     *     ask to, {@link ListenOption#REPLACE_SOCKET_FILE} for a Unix socket, or none
     * @return the server, listening
     * @throws ErrnoException EADDRINUSE (another socket listens on the port), EACCES,
     *     EADDRNOTAVAIL, EMFILE, ...
     * @throws IllegalStateException if called from one of the group's loops, or the group is closed
     */
    public Server listen(SocketAddress address, ConnectionHandler handler, Sharing sharing, ListenOption... options)
            throws ErrnoException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(sharing, "sharing");
        Set<ListenOption> chosen = Set.of(options);
        checkNotOwnLoop("listen");
        ConnectionFactory connections = EventLoop.connections(handler);
        return SharedPort.listen(this, address, everyLoop(loop -> connections), sharing, chosen);
    }

    /**
     * Listens on {@code address}, as {@link #listen(SocketAddress, ConnectionHandler)}: each
     * accepted connection gets a handler of its own from {@code handlers}, called on the
     * connection's loop's thread (so from the group's threads at once: it must be safe for
     * that).
     *
     * @param address where to listen
     * @param handlers makes the handler of each accepted connection
     * @return the server, listening on every loop
     * @throws ErrnoException as {@link #listen(SocketAddress, ConnectionHandler)}
     * @throws IllegalStateException if called from one of the group's loops, or the group is closed
     */
    public Server listen(SocketAddress address, HandlerFactory handlers) throws ErrnoException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(handlers, "handlers");
        checkNotOwnLoop("listen");
        ConnectionFactory connections = EventLoop.connections(handlers);
        return SharedPort.listen(this, address, everyLoop(loop -> connections), Sharing.REUSE_PORT, Set.of());
    }

    /**
     * Listens on {@code address} for TLS connections on every loop, as
     * {@link #listen(SocketAddress, HandlerFactory)} (the port is the group's own); each
     * connection does the handshake that {@code tls} sets up before its {@code onOpen}. See
     * {@link Tls}.
     *
     * @param address where to listen
     * @param tls the server side of TLS ({@link Tls#server})
     * @param handlers makes the handler of each accepted connection
     * @return the server, listening on every loop
     * @throws ErrnoException as {@link #listen(SocketAddress, ConnectionHandler)}
     * @throws IllegalArgumentException if {@code tls} is a client's
     * @throws IllegalStateException if called from one of the group's loops, or the group is closed
     */
    public Server listen(SocketAddress address, Tls tls, HandlerFactory handlers) throws ErrnoException {
        Objects.requireNonNull(handlers, "handlers");
        return listen(address, tls, loop -> handlers, Sharing.REUSE_PORT);
    }

    /**
     * Listens on {@code address} for TLS connections, as {@link #listen(SocketAddress, Function,
     * Sharing, ListenOption...)} with a {@link HandlerFactory} per loop: each connection does
     * the handshake that {@code tls} sets up before its {@code onOpen}. See {@link Tls}.
     *
     * @param address where to listen
     * @param tls the server side of TLS ({@link Tls#server})
     * @param perLoop makes each loop's factory, on that loop's thread
     * @param sharing how the loops share the port
     * @param options as for {@link #listen(SocketAddress, ConnectionHandler, Sharing, ListenOption...)}
     * @return the server, listening
     * @throws ErrnoException as {@link #listen(SocketAddress, ConnectionHandler, Sharing, ListenOption...)}
     * @throws IllegalArgumentException if {@code tls} is a client's
     * @throws IllegalStateException if called from one of the group's loops, or the group is closed
     * @throws NullPointerException if perLoop returns null
     */
    public Server listen(SocketAddress address, Tls tls, Function<EventLoop, ? extends HandlerFactory> perLoop,
                         Sharing sharing, ListenOption... options) throws ErrnoException {
        EventLoop.serverSide(tls);
        return listenPerLoop(address, perLoop, handlers -> EventLoop.connections(handlers, tls), sharing, options);
    }

    /**
     * Listens on {@code address}, as {@link #listen(SocketAddress, ConnectionHandler, Sharing,
     * ListenOption...)}, with a {@link HandlerFactory} per loop: {@code perLoop} runs once
     * on each loop's thread, given that loop, before the server opens, and the factory it
     * returns makes the handler of each connection of that loop, on that thread. State that
     * a loop's connections share (a cache, a buffer, a date that a timer of the loop's
     * renews) lives in that factory, with no {@code ThreadLocal} and no lock. It runs before
     * the port is bound: if the listen then fails, what it set up stays (a timer goes on
     * until cancelled), and nothing tells it when the server closes.
     *
     * {@snippet class="org.epoll4j.snippets.ProtocolSnippets" region="per-loop"}
     *
     * @param address where to listen
     * @param perLoop makes each loop's factory, on that loop's thread
     * @param sharing how the loops share the port
     * @param options as for {@link #listen(SocketAddress, ConnectionHandler, Sharing, ListenOption...)}
     * @return the server, listening
     * @throws ErrnoException as {@link #listen(SocketAddress, ConnectionHandler, Sharing, ListenOption...)}
     * @throws IllegalStateException if called from one of the group's loops, or the group is closed
     * @throws NullPointerException if perLoop returns null
     */
    public Server listen(SocketAddress address, Function<EventLoop, ? extends HandlerFactory> perLoop,
                         Sharing sharing, ListenOption... options) throws ErrnoException {
        return listenPerLoop(address, perLoop, EventLoop::connections, sharing, options);
    }

    private Server listenPerLoop(SocketAddress address, Function<EventLoop, ? extends HandlerFactory> perLoop,
                                 Function<HandlerFactory, ConnectionFactory> connections, Sharing sharing,
                                 ListenOption... options) throws ErrnoException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(perLoop, "perLoop");
        Objects.requireNonNull(sharing, "sharing");
        Set<ListenOption> chosen = Set.of(options);
        checkNotOwnLoop("listen");
        Map<EventLoop, ConnectionFactory> factories = new IdentityHashMap<>();
        for (EventLoop loop : loops) {
            HandlerFactory handlers = LoopThreads.call(loop, () -> perLoop.apply(loop));
            factories.put(loop, connections.apply(Objects.requireNonNull(handlers, "perLoop returned null")));
        }
        return SharedPort.listen(this, address, factories, sharing, chosen);
    }

    private Map<EventLoop, ConnectionFactory> everyLoop(Function<EventLoop, ConnectionFactory> connections) {
        Map<EventLoop, ConnectionFactory> factories = new IdentityHashMap<>();
        loops.forEach(loop -> factories.put(loop, connections.apply(loop)));
        return factories;
    }

    private void checkNotOwnLoop(String method) {
        if (threads.ownLoop() != null) {
            throw new IllegalStateException("EventLoopGroup." + method + " waits for every loop: call it from another thread");
        }
    }

    /**
     * Binds a UDP endpoint on each loop to {@code address}'s port (port 0: any free port, the
     * same for every loop), all with SO_REUSEPORT: the kernel hashes each sender to one of
     * them. As {@link EventLoop#bindUdp(InetSocketAddress, int, DatagramHandler, ListenOption...)}
     * for each. The port is the group's own, as for {@link #listen(SocketAddress,
     * ConnectionHandler, Sharing, ListenOption...) listen}: EADDRINUSE if another socket is
     * bound to it, unless {@link ListenOption#REUSE_PORT} asks to share it.
     *
     * @param address where to bind
     * @param maxDatagramSize the longest datagram each endpoint receives whole, or sends
     * @param handler what the endpoints do with the datagrams they receive; one instance
     *     serves them all, each endpoint on its loop's thread
     * @param options {@link ListenOption#REUSE_PORT} to share the port with other endpoints
     *     that ask to, or none
     * @return the endpoints, one per loop in the order of {@link #loops()}
     * @throws ErrnoException EADDRINUSE (another socket is bound to the port), EACCES,
     *     EADDRNOTAVAIL, EMFILE, ...
     * @throws IllegalArgumentException if maxDatagramSize is not in 1 to 65,535
     * @throws IllegalStateException if called from one of the group's loops, or the group is closed
     */
    public List<UdpEndpoint> bindUdp(InetSocketAddress address, int maxDatagramSize, DatagramHandler handler,
                                     ListenOption... options) throws ErrnoException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(handler, "handler");
        Set<ListenOption> chosen = Set.of(options);
        checkNotOwnLoop("bindUdp");
        return SharedPort.bindUdp(this, address, maxDatagramSize, handler, chosen);
    }

    /**
     * Connects to {@code address} on one of the loops: the calling thread's, if it is one
     * of the group's (an upstream connection then shares its loop with the one that made
     * it), else the next in turn. As {@link EventLoop#connect}.
     *
     * @param address where to connect
     * @param handler what the connection does, on its loop's thread
     * @return the connection, connecting
     * @throws ErrnoException if no socket can be made (EMFILE, ENFILE, ...)
     * @throws IllegalStateException if the group is closed
     */
    public Connection connect(SocketAddress address, ConnectionHandler handler) throws ErrnoException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(handler, "handler");
        EventLoop own = threads.ownLoop();
        if (own != null) {
            return own.connect(address, handler);
        }
        EventLoop loop = next();
        return LoopThreads.call(loop, () -> loop.connect(address, handler));
    }

    /**
     * Connects to {@code address} with TLS on one of the group's loops, chosen as
     * {@link #connect(SocketAddress, ConnectionHandler)} chooses. As
     * {@link EventLoop#connect(SocketAddress, Tls, ConnectionHandler)}.
     *
     * @param address where to connect
     * @param tls the client side of TLS ({@link Tls#client}), with the server's name
     * @param handler what the connection does, on its loop's thread
     * @return the connection, connecting
     * @throws ErrnoException if no socket can be made (EMFILE, ENFILE, ...)
     * @throws IllegalArgumentException if {@code tls} is a server's
     * @throws IllegalStateException if the group is closed
     */
    public Connection connect(SocketAddress address, Tls tls, ConnectionHandler handler) throws ErrnoException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(handler, "handler");
        EventLoop own = threads.ownLoop();
        if (own != null) {
            return own.connect(address, tls, handler);
        }
        EventLoop loop = next();
        return LoopThreads.call(loop, () -> loop.connect(address, tls, handler));
    }

    /**
     * Closes every loop (their servers and connections, as {@link EventLoop#close()} does)
     * and waits until every thread of the group has ended; from one of the group's own
     * loops, asks and returns, as {@link EventLoop#close()} does there. Idempotent.
     */
    @Override
    public void close() {
        threads.close();
    }

    /**
     * Asks every loop to close, without waiting. Any thread.
     *
     * @return a stage that completes once every loop is released and every thread has ended
     */
    public CompletionStage<Void> closeAsync() {
        return threads.closeAsync();
    }
}
