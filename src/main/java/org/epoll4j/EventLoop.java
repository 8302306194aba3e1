// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.EventFd;

/**
 * One thread serving many connections (TCP, Unix domain sockets) and file descriptors:
 * one epoll set, one array of events, one read buffer.
 *
 * {@snippet :
 * try (EventLoop loop = EventLoop.open()) {
 *     loop.listen(new InetSocketAddress("127.0.0.1", 7000), new ConnectionHandler() {
 *         @Override
 *         public void onData(Connection connection, ByteBuffer data) {
 *             connection.write(data);   // echo
 *         }
 *     });
 *     loop.run();                       // until loop.stop() or loop.close()
 * }
 * }
 *
 * <p>Notes:
 * <ul>
 * <li>Threading: the loop belongs to one thread: the one that opened it until
 *     {@link #run()} is called, then the one running it. {@link #execute},
 *     {@link #stop()}, {@link #close()} and {@link #closeAsync()} may be called from any
 *     thread; every other method of the loop, its servers, connections and timers throws
 *     {@link WrongThreadException} elsewhere.
 * <li>Readiness is level-triggered: a connection whose handler leaves data unread
 *     is simply called again; nothing forces a handler to drain.
 * <li>An exception from a task or timer goes to the loop thread's uncaught
 *     exception handler, and the loop goes on.
 * </ul>
 */
public final class EventLoop implements Executor, AutoCloseable {
    static {
        Preload.library();
    }

    private final Dispatcher dispatcher;
    private final Lifecycle lifecycle = new Lifecycle();

    private EventLoop(IoContext io, EventFd waker) throws ErrnoException {
        this.dispatcher = new Dispatcher(this, io, waker);
    }

    /**
     * Opens a loop owned by the calling thread until {@link #run()}.
     *
     * @throws ErrnoException EMFILE, ENFILE or ENOMEM
     */
    public static EventLoop open() throws ErrnoException {
        IoContext io = IoContext.open();
        EventFd waker = null;
        try {
            waker = EventFd.open();
            return new EventLoop(io, waker);
        } catch (ErrnoException | RuntimeException | Error e) {
            Guarded.closeAll(e::addSuppressed, waker, io);
            throw e;
        }
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
        lifecycle.enter();
        try {
            while (!lifecycle.isStopping()) {
                dispatcher.turn();
            }
        } catch (ErrnoException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                if (lifecycle.exit()) {
                    release();
                }
            } finally {
                lifecycle.left();
            }
        }
    }

    /** Makes {@link #run()} return after the current iteration. Any thread. */
    public void stop() {
        lifecycle.stop();
        dispatcher.tasks.wakeup();
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
        Objects.requireNonNull(task, "task");
        // Only a task from inside run() may skip the wake-up: the loop checks for tasks
        // before it waits again. Any other caller may race with run() taking over.
        dispatcher.tasks.add(task, lifecycle.isRunningOn(Thread.currentThread()));
    }

    /**
     * Runs {@code task} on the loop's thread once {@code delay} has passed, counted from
     * this call. Any thread.
     *
     * @throws IllegalArgumentException if delay is negative
     * @throws IllegalStateException if the loop is closing or closed
     */
    public Timer schedule(Duration delay, Runnable task) {
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(task, "task");
        return dispatcher.timers.schedule(this, delay, task);
    }

    /**
     * Listens on {@code address}: an {@link InetSocketAddress} for TCP (port 0: any free
     * port), a {@link java.net.UnixDomainSocketAddress} for a Unix domain socket's file, or an
     * {@link org.epoll4j.epoll.AbstractNamespaceAddress}. Accepted connections go to
     * {@code handler}. TCP listeners get SO_REUSEADDR, their connections TCP_NODELAY; a
     * Unix socket's file is removed when the server closes.
     *
     * {@snippet :
     * loop.listen(new InetSocketAddress("0.0.0.0", 8080), handler, ListenOption.REUSE_PORT);
     * loop.listen(UnixDomainSocketAddress.of("/run/app.sock"), handler, ListenOption.REPLACE_SOCKET_FILE);
     * }
     *
     * @throws ErrnoException EADDRINUSE (a Unix socket's file is there already: see
     *     {@link ListenOption#REPLACE_SOCKET_FILE}), EACCES, EADDRNOTAVAIL, EMFILE, ...
     * @throws IllegalArgumentException for an unresolved or unserved address, or a path too long
     * @throws IllegalStateException if the loop is closing or closed
     */
    public Server listen(SocketAddress address, ConnectionHandler handler, ListenOption... options)
            throws ErrnoException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(handler, "handler");
        return new Server(List.of(Listener.open(this, address, handler, Set.of(options), null)));
    }

    /**
     * Connects to {@code address} (TCP, or a Unix domain socket's, as for {@link #listen}).
     * The connection's {@code onOpen} runs once it is
     * established; if it cannot be (refused, unreachable), its {@code onClose} runs
     * once, with the error, and {@code onOpen} never does. Writes before then are
     * queued.
     *
     * @throws ErrnoException if no socket can be made (EMFILE, ENFILE, ...)
     * @throws IllegalStateException if the loop is closing or closed
     */
    public Connection connect(SocketAddress address, ConnectionHandler handler) throws ErrnoException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(handler, "handler");
        return Connector.connect(this, address, handler);
    }

    /**
     * Binds a UDP endpoint to {@code address} (port 0: any free port), holding datagrams of
     * up to {@link UdpEndpoint#DEFAULT_MAX_DATAGRAM_SIZE} bytes; what it receives goes to
     * {@code handler}. See {@link UdpEndpoint}.
     *
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
     */
    public UdpEndpoint bindUdp(InetSocketAddress address, int maxDatagramSize, DatagramHandler handler,
                               ListenOption... options) throws ErrnoException {
        return UdpEndpoint.bind(this, address, maxDatagramSize, handler, Set.of(options));
    }

    /**
     * Watches {@code fd}, which the application owns, for {@code interest} ({@link Watch#READ},
     * {@link Watch#WRITE}, both, or 0), reported as {@code trigger} says, to {@code handler}.
     * See {@link Watch}.
     *
     * @throws ErrnoException EEXIST if fd is watched by this loop already, EPERM if it does
     *     not support epoll (a regular file), EBADF if it is not open
     * @throws IllegalStateException if the loop is closing or closed
     */
    public Watch watch(int fd, int interest, Watch.Trigger trigger, WatchHandler handler) throws ErrnoException {
        return Watch.open(this, fd, interest, trigger, handler);
    }

    /**
     * Closes the loop and waits until it has: every server and connection is closed
     * (without flushing: their {@code onClose} run), tasks already taken run, timers are
     * dropped, and the native memory is freed. Idempotent; any thread.
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
     *     where the connections' {@code onClose} then run.
     * </ul>
     */
    @Override
    public void close() {
        closeAsync();
        if (!Lifecycle.onAnyLoopThread()) {
            lifecycle.awaitReleased();
        }
    }

    /**
     * Asks the loop to close, as {@link #close()} does, without waiting. Any thread.
     *
     * @return a stage that completes once the loop is released
     */
    public CompletionStage<Void> closeAsync() {
        // First: whoever releases the loop must find no task taken after the close.
        dispatcher.tasks.close();
        switch (lifecycle.requestClose()) {
            case RELEASE_HERE -> release();
            case STOP_RUNNER -> stop();
            case ALREADY, HELD -> {
                // Asked before, or asked inside a call that releases the loop when it returns.
            }
        }
        return lifecycle.released();
    }

    /** Whether the loop is neither closing nor closed. Any thread. */
    public boolean isOpen() {
        return !lifecycle.isClosing();
    }

    /** Whether the current thread is the loop's. */
    public boolean inLoop() {
        return lifecycle.isOwner();
    }

    void checkInLoop() {
        lifecycle.checkOwner();
    }

    IoContext io() {
        return dispatcher.io;
    }

    Registry registry() {
        return dispatcher.registry;
    }

    ForeignRequests foreign() {
        return dispatcher.foreign;
    }

    Tasks tasks() {
        return dispatcher.tasks;
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    Timers timers() {
        return dispatcher.timers;
    }

    /** Source-making calls: on the loop's thread, and not while the loop closes its sources. */
    void checkCanAdd() {
        checkInLoop();
        if (lifecycle.isReleasing()) {
            throw new IllegalStateException("EventLoop is closing");
        }
    }

    /** A call on the loop's thread that the release must wait for begins (see {@link Lifecycle#hold()}). */
    void holdRelease() {
        lifecycle.hold();
    }

    /** That call ends: releases the loop if a close was asked for meanwhile. */
    void endHold() {
        if (lifecycle.unhold()) {
            release();
        }
    }

    void runTask(Runnable task) {
        dispatcher.runTask(task);
    }

    void report(Throwable e) {
        dispatcher.report(e);
    }

    /** Releases the loop on the calling thread, which is the loop's from now on: handlers' onClose run here. */
    private void release() {
        lifecycle.releasing();
        try {
            dispatcher.release();
        } finally {
            lifecycle.releasedNow();
        }
    }
}
