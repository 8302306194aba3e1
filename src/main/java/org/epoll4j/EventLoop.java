// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.Loop;
import org.epoll4j.transport.stream.ConnectionFactory;
import org.epoll4j.transport.stream.Connector;

/**
 * One thread serving many connections (TCP, Unix domain sockets) and file descriptors:
 * one epoll set, one array of events, one read buffer.
 *
 * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="event-loop"}
 *
 * <p>where {@code Echo} is the handler of {@link ConnectionHandler}'s example. To stop it
 * from another thread:
 *
 * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="stop"}
 *
 * <p>Notes:
 * <ul>
 * <li>Threading: the loop belongs to one thread: the one that opened it until
 *     {@link #run()} is called, then the one that runs it. {@link #execute},
 *     {@link #schedule}, {@link #stop()}, {@link #close()}, {@link #closeAsync()},
 *     {@link #isOpen()} and {@link #inLoop()} may be called from any thread, as may the
 *     methods of its servers, connections and timers that say so; every other method
 *     throws {@link WrongThreadException} elsewhere.
 * <li>Readiness is level-triggered: a connection is read up to 64 KiB per event, and
 *     what the kernel still holds comes in a later turn; nothing forces a handler to
 *     drain a socket. A turn serves at most 256 ready fds; with more ready, the kernel
 *     hands them out round robin, so each waits at most a pass over the others.
 * <li>An exception from a task or timer goes to the loop's {@link ErrorHandler} (by
 *     default, a {@link System.Logger}), and the loop goes on.
 * </ul>
 */
public final class EventLoop implements Executor, AutoCloseable {
    private final Loop loop;

    private EventLoop() throws ErrnoException {
        this.loop = Loop.open(MethodHandles.lookup(), this);
    }

    /**
     * Opens a loop owned by the calling thread until {@link #run()}.
     *
     * @return the loop, which the caller closes
     * @throws ErrnoException EMFILE, ENFILE or ENOMEM
     * @throws UnsupportedOperationException on an architecture epoll4j has no bindings for,
     *     or if the kernel does not write {@code struct epoll_event} as they say (see
     *     {@link org.epoll4j.epoll.Epoll#open()})
     */
    public static EventLoop open() throws ErrnoException {
        return new EventLoop();
    }

    /**
     * Runs the loop on the calling thread until {@link #stop()} or {@link #close()};
     * a stop requested before {@code run} makes it return at once. If the loop was
     * closed meanwhile, it is released on this thread before {@code run} returns.
     *
     * @throws IllegalStateException if the loop is closed or already running
     * @throws UncheckedIOException if epoll_wait fails, which only a bug can cause
     */
    public void run() {
        loop.run();
    }

    /** Makes {@link #run()} return after the current iteration. Any thread. */
    public void stop() {
        loop.stop();
    }

    /**
     * Runs {@code task} on the loop's thread, soon: after the events at hand. Any
     * thread; tasks run in the order they were given. A task is either run or refused:
     * one taken before the loop closes runs as it closes.
     *
     * @throws RejectedExecutionException if the loop is closing or closed
     */
    @Override
    public void execute(Runnable task) {
        loop.execute(Objects.requireNonNull(task, "task"));
    }

    /**
     * Runs {@code task} on the loop's thread once {@code delay} has passed, counted from
     * this call. Any thread.
     *
     * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="timeout"}
     *
     * @param delay how long to wait at least, counted from this call
     * @param task what to run, on the loop's thread
     * @return the timer, which can cancel the task
     * @throws IllegalArgumentException if delay is negative
     * @throws IllegalStateException if the loop is closing or closed
     */
    public Timer schedule(Duration delay, Runnable task) {
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(task, "task");
        return Timer.schedule(loop, delay, task);
    }

    /**
     * Runs {@code task} on the loop's thread once {@code initialDelay} has passed, counted
     * from this call, then every {@code period}, until the timer is cancelled. Any thread.
     * Runs are on a fixed rhythm (deadlines {@code initialDelay + k * period}); those that
     * the loop misses, busy elsewhere, are not made up: it runs once, late, and keeps the
     * rhythm. No run allocates.
     *
     * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="periodic"}
     *
     * @param initialDelay how long to wait before the first run
     * @param period how long from one run's deadline to the next's
     * @param task what to run, on the loop's thread; what it throws is reported, and the
     *     runs go on
     * @return the timer, which can cancel the runs to come
     * @throws IllegalArgumentException if initialDelay is negative or period is not positive
     * @throws IllegalStateException if the loop is closing or closed
     */
    public Timer scheduleAtFixedRate(Duration initialDelay, Duration period, Runnable task) {
        Objects.requireNonNull(initialDelay, "initialDelay");
        Objects.requireNonNull(period, "period");
        Objects.requireNonNull(task, "task");
        return Timer.scheduleAtFixedRate(loop, initialDelay, period, task);
    }

    /**
     * Listens on {@code address}: an {@link InetSocketAddress} for TCP (port 0: any free
     * port), a {@link java.net.UnixDomainSocketAddress} for a Unix domain socket's file, or an
     * {@link org.epoll4j.epoll.AbstractNamespaceAddress}. Accepted connections go to
     * {@code handler}. TCP listeners get SO_REUSEADDR, their connections TCP_NODELAY; a
     * Unix socket's file is removed when the server closes.
     *
     * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="listen-options"}
     *
     * @param address where to listen
     * @param handler what the accepted connections do; one instance serves them all
     * @param options {@link ListenOption}s, or none
     * @return the server, listening
     * @throws ErrnoException EADDRINUSE (a Unix socket's file is there already: see
     *     {@link ListenOption#REPLACE_SOCKET_FILE}), EACCES, EADDRNOTAVAIL, EMFILE, ...
     * @throws IllegalArgumentException for an unresolved or unserved address, or a path too long
     * @throws IllegalStateException if the loop is closing or closed
     */
    public Server listen(SocketAddress address, ConnectionHandler handler, ListenOption... options)
            throws ErrnoException {
        return Server.listen(loop, address, connections(Objects.requireNonNull(handler, "handler")), options);
    }

    /**
     * Listens on {@code address}, as {@link #listen(SocketAddress, ConnectionHandler,
     * ListenOption...)}; each accepted connection gets a handler of its own from
     * {@code handlers}, made as it opens.
     *
     * {@snippet class="org.epoll4j.snippets.ProtocolSnippets" region="per-connection"}
     *
     * @param address where to listen
     * @param handlers makes the handler of each accepted connection, on this loop's thread
     * @param options {@link ListenOption}s, or none
     * @return the server, listening
     * @throws ErrnoException as {@link #listen(SocketAddress, ConnectionHandler, ListenOption...)}
     * @throws IllegalArgumentException for an unresolved or unserved address, or a path too long
     * @throws IllegalStateException if the loop is closing or closed
     */
    public Server listen(SocketAddress address, HandlerFactory handlers, ListenOption... options)
            throws ErrnoException {
        return Server.listen(loop, address, connections(Objects.requireNonNull(handlers, "handlers")), options);
    }

    /**
     * Listens on {@code address} for TLS connections, as {@link #listen(SocketAddress,
     * HandlerFactory, ListenOption...)}: each accepted connection does the handshake that
     * {@code tls} sets up first, and its handler's {@code onOpen} runs once it is done. See
     * {@link Tls}.
     *
     * {@snippet class="org.epoll4j.snippets.TlsSnippets" region="server"}
     *
     * @param address where to listen
     * @param tls the server side of TLS ({@link Tls#server})
     * @param handlers makes the handler of each accepted connection, on this loop's thread
     * @param options {@link ListenOption}s, or none
     * @return the server, listening
     * @throws ErrnoException as {@link #listen(SocketAddress, ConnectionHandler, ListenOption...)}
     * @throws IllegalArgumentException if {@code tls} is a client's, for an unresolved or
     *     unserved address, or a path too long
     * @throws IllegalStateException if the loop is closing or closed
     */
    public Server listen(SocketAddress address, Tls tls, HandlerFactory handlers, ListenOption... options)
            throws ErrnoException {
        return Server.listen(loop, address, connections(Objects.requireNonNull(handlers, "handlers"),
                serverSide(tls)), options);
    }

    /**
     * Connects to {@code address} with TLS, as {@link #connect(SocketAddress,
     * ConnectionHandler)}: the handshake that {@code tls} sets up follows the connect, and
     * {@code onOpen} runs once it is done; writes before then are queued, and go encrypted
     * once it is. See {@link Tls}.
     *
     * {@snippet class="org.epoll4j.snippets.TlsSnippets" region="client"}
     *
     * @param address where to connect
     * @param tls the client side of TLS ({@link Tls#client}), with the server's name
     * @param handler what the connection does
     * @return the connection, connecting
     * @throws ErrnoException if no socket can be made (EMFILE, ENFILE, ...)
     * @throws IllegalArgumentException if {@code tls} is a server's
     * @throws IllegalStateException if the loop is closing or closed
     */
    public Connection connect(SocketAddress address, Tls tls, ConnectionHandler handler) throws ErrnoException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(handler, "handler");
        if (!tls.isClient()) {
            throw new IllegalArgumentException("connect needs the client side of TLS (Tls.client): " + tls);
        }
        return Connector.connect(loop, address,
                (loop, fd, connected) -> new Connection(loop, handler, null, fd, connected).secure(tls, address));
    }

    /**
     * Connects to {@code address} (TCP, or a Unix domain socket's, as for {@link #listen}).
     * The connection's {@code onOpen} runs once it is
     * established; if it cannot be (refused, unreachable), its {@code onClose} runs
     * once, with the error, and {@code onOpen} never does. Writes before then are
     * queued.
     *
     * @param address where to connect
     * @param handler what the connection does
     * @return the connection, connecting
     * @throws ErrnoException if no socket can be made (EMFILE, ENFILE, ...)
     * @throws IllegalStateException if the loop is closing or closed
     */
    public Connection connect(SocketAddress address, ConnectionHandler handler) throws ErrnoException {
        Objects.requireNonNull(address, "address");
        return Connector.connect(loop, address, connections(Objects.requireNonNull(handler, "handler")));
    }

    /**
     * Binds a UDP endpoint to {@code address} (port 0: any free port), holding datagrams of
     * up to {@link UdpEndpoint#DEFAULT_MAX_DATAGRAM_SIZE} bytes; what it receives goes to
     * {@code handler}. See {@link UdpEndpoint}.
     *
     * @param address where to bind
     * @param handler what the endpoint does with the datagrams it receives
     * @return the endpoint, bound
     * @throws ErrnoException EADDRINUSE, EACCES, EADDRNOTAVAIL, EMFILE, ...
     * @throws IllegalStateException if the loop is closing or closed
     */
    public UdpEndpoint bindUdp(InetSocketAddress address, DatagramHandler handler) throws ErrnoException {
        return bindUdp(address, UdpEndpoint.DEFAULT_MAX_DATAGRAM_SIZE, handler);
    }

    /**
     * As {@link #bindUdp(InetSocketAddress, DatagramHandler)}, holding datagrams of up to
     * {@code maxDatagramSize} bytes (1 to 65,535): a longer one received is truncated, and
     * said so. With {@link ListenOption#REUSE_PORT}, endpoints of several loops may share
     * the port, the kernel spreading senders among them.
     *
     * @param address where to bind
     * @param maxDatagramSize the longest datagram the endpoint receives whole, or sends
     * @param handler what the endpoint does with the datagrams it receives
     * @param options {@link ListenOption#REUSE_PORT}, or none
     * @return the endpoint, bound
     * @throws ErrnoException EADDRINUSE, EACCES, EADDRNOTAVAIL, EMFILE, ...
     * @throws IllegalArgumentException if maxDatagramSize is not in 1 to 65,535
     * @throws IllegalStateException if the loop is closing or closed
     */
    public UdpEndpoint bindUdp(InetSocketAddress address, int maxDatagramSize, DatagramHandler handler,
                               ListenOption... options) throws ErrnoException {
        boolean call = loop.beginLoopCall();
        try {
            return UdpEndpoint.bind(loop, address, maxDatagramSize, handler, Set.of(options));
        } finally {
            loop.endLoopCall(call);
        }
    }

    /**
     * Watches {@code fd}, which the application owns, for {@code interest} ({@link Watch#READ},
     * {@link Watch#WRITE}, both, or 0), reported as {@code trigger} says, to {@code handler}.
     * See {@link Watch}.
     *
     * @param fd the file descriptor, which stays the application's to read, write and close
     * @param interest {@link Watch#READ}, {@link Watch#WRITE}, both (or-ed), or 0
     * @param trigger when a ready fd is reported
     * @param handler what to do when it is
     * @return the watch, registered
     * @throws IllegalArgumentException if fd is negative, or interest has other bits
     * @throws ErrnoException EEXIST if fd is watched by this loop already, EPERM if it does
     *     not support epoll (a regular file), EBADF if it is not open
     * @throws IllegalStateException if the loop is closing or closed
     */
    public Watch watch(int fd, int interest, Watch.Trigger trigger, WatchHandler handler) throws ErrnoException {
        return Watch.open(loop, fd, interest, trigger, handler);
    }

    /**
     * Closes the loop and waits until it has: every server and connection is closed
     * (without flushing: their {@code onClose} run), tasks already taken run, timers are
     * dropped, and the native memory is freed. Idempotent; any thread. A connection still
     * closing (its output going out, or lingering for the peer's end of stream) is reset,
     * and its {@code onClose} gets an {@link java.io.IOException} that says so.
     *
     * <p>What the calling thread does:
     * <ul>
     * <li>the loop's own thread, inside a handler, task or timer: asks for the close and
     *     returns; {@code run()} releases the loop once the current iteration ends;
     * <li>the thread of another loop (in its {@code run()}, or closing it): asks and
     *     returns without waiting, so that two loops closing each other never deadlock;
     *     {@link #closeAsync()} tells when it is done;
     * <li>any other thread, while the loop runs: asks, then waits until the loop's thread
     *     has released it; an interrupt does not cut the wait short, and the thread's
     *     interrupt status is set again when it returns;
     * <li>any thread, while the loop is not running: releases it on the calling thread,
     *     where the connections' {@code onClose} then run; but while the loop's own thread
     *     is inside a call on it (a write, a {@code listen}, a connection's close), that
     *     thread releases it as the call ends, and this waits as above.
     * </ul>
     */
    @Override
    public void close() {
        loop.close();
    }

    /**
     * Asks the loop to close, as {@link #close()} does, without waiting. Any thread.
     *
     * @return a stage that completes once the loop is released
     */
    public CompletionStage<Void> closeAsync() {
        return loop.closeAsync();
    }

    /**
     * What the loop has done since it was opened: its connections, queued output, turns,
     * wake-ups, tasks run, and busy and idle time. Any thread; cheap (a few reads, one
     * clock read and the snapshot's allocation), and it does not disturb the loop.
     *
     * @return a snapshot of the loop's counters
     */
    public LoopMetrics metrics() {
        return loop.metrics();
    }

    /**
     * Reports to {@code handler}, from now on, the failures that no caller catches: what a
     * handler, task or timer throws, and failed system calls of the loop's own. The default
     * is {@link ErrorHandler#systemLogger()}. Any thread.
     *
     * @param handler where failures go from now on
     */
    public void setErrorHandler(ErrorHandler handler) {
        loop.setErrorHandler(handler);
    }

    /**
     * Whether the loop is neither closing nor closed. Any thread.
     *
     * @return false once a close was asked for
     */
    public boolean isOpen() {
        return loop.isOpen();
    }

    /**
     * Whether the current thread is the loop's: the one that may call every method. Any
     * thread.
     *
     * @return true on the loop's thread
     */
    public boolean inLoop() {
        return loop.inLoop();
    }

    /** Makes the connections of {@code handler}, for the stream transport. */
    static ConnectionFactory connections(ConnectionHandler handler) {
        return (loop, fd, connected) -> new Connection(loop, handler, null, fd, connected);
    }

    /** The connections a server accepts, each with a handler of its own from {@code handlers}. */
    static ConnectionFactory connections(HandlerFactory handlers) {
        return (loop, fd, connected) -> new Connection(loop, null, handlers, fd, connected);
    }

    /** The TLS connections a server accepts, each with a handler of its own from {@code handlers}. */
    static ConnectionFactory connections(HandlerFactory handlers, Tls tls) {
        return (loop, fd, connected) -> new Connection(loop, null, handlers, fd, connected).secure(tls, null);
    }

    /** {@code tls}, checked to be a server's. */
    static Tls serverSide(Tls tls) {
        Objects.requireNonNull(tls, "tls");
        if (tls.isClient()) {
            throw new IllegalArgumentException("a server needs the server side of TLS (Tls.server): " + tls);
        }
        return tls;
    }

    /** The engine, for the loop's API types here. */
    Loop core() {
        return loop;
    }
}
