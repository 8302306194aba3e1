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
 *     what the kernel still holds comes in the next turn; nothing forces a handler to
 *     drain a socket.
 * <li>An exception from a task or timer goes to the loop's {@link ErrorHandler} (by
 *     default, a {@link System.Logger}), and the loop goes on.
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
     * @return the loop, which the caller closes
     * @throws ErrnoException EMFILE, ENFILE or ENOMEM
     * @throws UnsupportedOperationException on an architecture epoll4j has no bindings for,
     *     or if the kernel does not write {@code struct epoll_event} as they say (see
     *     {@link org.epoll4j.epoll.Epoll#open()})
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
        dispatcher.counters.running();
        try {
            while (!lifecycle.isStopping()) {
                dispatcher.turn();
            }
        } catch (ErrnoException e) {
            throw new UncheckedIOException(e);
        } finally {
            dispatcher.counters.stopped();
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
     * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="idle-timeout"}
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
        return dispatcher.timers.schedule(this, delay, task);
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
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(handler, "handler");
        boolean call = beginLoopCall();
        try {
            return new Server(List.of(Listener.open(this, address, handler, Set.of(options), null)));
        } finally {
            endLoopCall(call);
        }
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
        Objects.requireNonNull(handler, "handler");
        boolean call = beginLoopCall();
        try {
            return Connector.connect(this, address, handler);
        } finally {
            endLoopCall(call);
        }
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
        boolean call = beginLoopCall();
        try {
            return UdpEndpoint.bind(this, address, maxDatagramSize, handler, Set.of(options));
        } finally {
            endLoopCall(call);
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
        boolean call = beginLoopCall();
        try {
            return Watch.open(this, fd, interest, trigger, handler);
        } finally {
            endLoopCall(call);
        }
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
     *     where the connections' {@code onClose} then run; but while the loop's own thread
     *     is inside a call on it (a write, a {@code listen}, a connection's close), that
     *     thread releases it as the call ends, and this waits as above.
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

    /**
     * What the loop has done since it was opened: its connections, queued output, turns,
     * wake-ups, tasks run, and busy and idle time. Any thread; cheap (a few reads, one
     * clock read and the snapshot's allocation), and it does not disturb the loop.
     *
     * @return a snapshot of the loop's counters
     */
    public LoopMetrics metrics() {
        return dispatcher.counters.snapshot(dispatcher.tasks.wakeups());
    }

    /**
     * Reports to {@code handler}, from now on, the failures that no caller catches: what a
     * handler, task or timer throws, and failed system calls of the loop's own. The default
     * is {@link ErrorHandler#systemLogger()}. Any thread.
     *
     * @param handler where failures go from now on
     */
    public void setErrorHandler(ErrorHandler handler) {
        dispatcher.errorHandler(Objects.requireNonNull(handler, "handler"));
    }

    /**
     * Whether the loop is neither closing nor closed. Any thread.
     *
     * @return false once a close was asked for
     */
    public boolean isOpen() {
        return !lifecycle.isClosing();
    }

    /**
     * Whether the current thread is the loop's: the one that may call every method. Any
     * thread.
     *
     * @return true on the loop's thread
     */
    public boolean inLoop() {
        return lifecycle.isOwner();
    }

    void checkInLoop() {
        lifecycle.checkOwner();
    }

    /**
     * Whether the calling thread runs or releases the loop, and so may act on it at once.
     * Otherwise a call that any thread may make acts at once only as an owner's call
     * ({@link #beginOwnerCall}); else it goes through the loop's tasks or a connection's
     * inbox.
     */
    boolean isLoopThreadNow() {
        return lifecycle.isActingOn(Thread.currentThread());
    }

    /**
     * Begins a call that any thread may make, on the owner's thread while the loop does not
     * run: run() begun on another thread meanwhile waits until {@link #endOwnerCall()}.
     * Returns false if this thread may not act on the loop.
     */
    boolean beginOwnerCall() {
        return lifecycle.beginOwnerCall();
    }

    /** Ends that call: releases the loop if a close was asked for meanwhile. */
    void endOwnerCall() {
        if (lifecycle.endOwnerCall()) {
            release();
        }
    }

    /**
     * Begins a call that only the loop's thread may make and that acts on its sources
     * (listen, connect, watch, a watch's or endpoint's close, a send): checks the thread,
     * and while nobody runs the loop counts the call as an owner's
     * ({@link #beginOwnerCall}), which a close from another thread waits for. Returns
     * whether {@link #endOwnerCall()} must end it.
     *
     * @throws WrongThreadException from another thread
     * @throws IllegalStateException once the loop is released, or another thread releases it
     */
    boolean beginLoopCall() {
        if (lifecycle.isRunningOn(Thread.currentThread())) {
            return false; // as a handler, task or timer: nothing to hold back
        }
        checkInLoop();
        if (beginOwnerCall()) {
            return true;
        }
        if (!isLoopThreadNow()) {
            throw new IllegalStateException("EventLoop is closed"); // by another thread, just now
        }
        return false;
    }

    /** Ends a call that {@link #beginLoopCall()} began; {@code call} is what it returned. */
    void endLoopCall(boolean call) {
        if (call) {
            endOwnerCall();
        }
    }

    /** Runs {@code action} as an owner's call ({@link #beginOwnerCall}); returns false, having run nothing, if it may not. */
    boolean runAsOwner(Runnable action) {
        if (!beginOwnerCall()) {
            return false;
        }
        try {
            action.run();
        } finally {
            endOwnerCall();
        }
        return true;
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

    /** Runs {@code task}, a task or a timer as {@code what} says: what it throws is reported. */
    void runTask(Runnable task, String what) {
        dispatcher.runTask(task, what);
    }

    /** Reports to the loop's {@link ErrorHandler} that {@code where} failed with {@code e}. */
    void report(String where, Throwable e) {
        dispatcher.report(where, e);
    }

    Counters counters() {
        return dispatcher.counters;
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
