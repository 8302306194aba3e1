package org.epoll4j;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.epoll4j.internal.Errno;
import org.epoll4j.internal.EventFd;
import org.epoll4j.internal.Fd;
import org.epoll4j.internal.IoVec;
import org.epoll4j.internal.Malloc;
import org.epoll4j.internal.Sockaddr;
import org.epoll4j.internal.Socket;

/**
 * One thread serving many TCP connections: one epoll set, one array of events, one
 * read buffer.
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
 *     {@link #stop()} and {@link #close()} may be called from any thread; every
 *     other method of the loop, its servers, connections and timers throws
 *     {@link WrongThreadException} elsewhere.
 * <li>Readiness is level-triggered: a connection whose handler leaves data unread
 *     is simply called again; nothing forces a handler to drain.
 * <li>An exception from a task or timer goes to the loop thread's uncaught
 *     exception handler, and the loop goes on.
 * </ul>
 */
public final class EventLoop implements Executor, AutoCloseable {
    private static final int EVENTS = 1024;

    /*
     * Out of fds, a JVM run from a class directory cannot open a class file, so a class
     * first needed then (an error, a queued write, the timer of an accept pause) would
     * fail to load and end the loop. Every class of the loop's paths is loaded here.
     */
    private static final List<Class<?>> LOADED_AHEAD = List.of(ErrnoException.class, Errno.class,
            Channel.class, Connection.class, Server.class, WriteQueue.class, ChunkPool.class,
            Timer.class, Timers.class, Tasks.class, FdReserve.class, Registry.class, IoContext.class,
            Sockaddr.class, Socket.class, Fd.class, IoVec.class, Malloc.class);

    private final Epoll epoll;
    private final EpollEvents events;
    private final IoContext io;
    private final Tasks tasks;
    private final FdReserve reserve;
    private final Registry registry;
    private final Timers timers = new Timers();
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile Thread thread = Thread.currentThread();
    private volatile boolean stopping;
    /** The thread inside {@link #run()}, or null. */
    private volatile Thread runner;
    private boolean closed;
    /** Set while release() closes the sources: no new ones may be made. */
    private boolean releasing;

    private EventLoop(Epoll epoll, EpollEvents events, IoContext io, EventFd waker) throws ErrnoException {
        this.epoll = epoll;
        this.events = events;
        this.io = io;
        this.registry = new Registry(epoll);
        this.tasks = new Tasks(this, waker);
        this.reserve = new FdReserve(io);
        registry.add(tasks, Epoll.IN);
    }

    /**
     * Opens a loop owned by the calling thread until {@link #run()}.
     *
     * @throws ErrnoException EMFILE, ENFILE or ENOMEM
     */
    public static EventLoop open() throws ErrnoException {
        Epoll epoll = null;
        EpollEvents events = null;
        IoContext io = null;
        EventFd waker = null;
        try {
            epoll = Epoll.openShared();
            events = EpollEvents.allocateShared(EVENTS);
            io = new IoContext();
            waker = EventFd.open();
            return new EventLoop(epoll, events, io, waker);
        } catch (ErrnoException | RuntimeException | Error e) {
            for (AutoCloseable resource : new AutoCloseable[] {waker, io, events, epoll}) {
                closeQuietly(resource);
            }
            throw e;
        }
    }

    /**
     * Runs the loop on the calling thread until {@link #stop()} or {@link #close()};
     * a stop requested before {@code run} makes it return at once.
     *
     * @throws IllegalStateException if the loop is closed or already running
     * @throws UncheckedIOException if epoll_wait fails, which only a bug can cause
     */
    public void run() {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("EventLoop is closed");
            }
            if (runner != null) {
                throw new IllegalStateException("EventLoop is already running on " + runner.getName());
            }
            runner = Thread.currentThread();
            thread = Thread.currentThread();
        }
        try {
            while (!stopping) {
                int n = epoll.wait(events, tasks.isEmpty() ? timers.timeoutMillis() : 0);
                for (int i = 0; i < n; i++) {
                    Source source = registry.find(events.data(i));
                    if (source != null) {
                        source.ready(events.events(i));
                    }
                }
                timers.runDue(this);
                tasks.runQueued();
            }
        } catch (ErrnoException e) {
            throw new UncheckedIOException(e);
        } finally {
            boolean release;
            synchronized (this) {
                runner = null;
                stopping = false;
                release = closed;
            }
            if (release) {
                release();
            }
        }
    }

    /** Makes {@link #run()} return after the current iteration. Any thread. */
    public void stop() {
        stopping = true;
        tasks.wakeup();
    }

    /**
     * Runs {@code task} on the loop's thread, soon: after the events at hand. Any
     * thread; tasks run in the order they were given.
     *
     * @throws RejectedExecutionException if the loop is closed
     */
    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (isClosed()) {
            throw new RejectedExecutionException("EventLoop is closed");
        }
        // Only a task from inside run() may skip the wake-up: the loop checks for tasks
        // before it waits again. Any other caller may race with run() taking over.
        tasks.add(task, Thread.currentThread() == runner);
    }

    /**
     * Runs {@code task} on the loop's thread once {@code delay} has passed.
     *
     * @throws IllegalArgumentException if delay is negative
     */
    public Timer schedule(Duration delay, Runnable task) {
        checkCanAdd();
        Objects.requireNonNull(task, "task");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative: " + delay);
        }
        long nanos = delay.compareTo(Duration.ofDays(365 * 100)) > 0 ? Long.MAX_VALUE / 2 : delay.toNanos();
        return timers.add(this, nanos, task);
    }

    /**
     * Listens on {@code address} (port 0: any free port); accepted connections go to
     * {@code handler}. SO_REUSEADDR is set; accepted sockets get TCP_NODELAY.
     *
     * @throws ErrnoException EADDRINUSE, EACCES, EADDRNOTAVAIL, EMFILE, ...
     */
    public Server listen(InetSocketAddress address, ConnectionHandler handler) throws ErrnoException {
        return listen(address, handler, false);
    }

    /**
     * As {@link #listen(InetSocketAddress, ConnectionHandler)}; with {@code reusePort},
     * SO_REUSEPORT too: several loops (one per core) may then listen on the same port,
     * and the kernel spreads new connections among them.
     *
     * {@snippet :
     * // on each of N loop threads:
     * loop.listen(new InetSocketAddress("0.0.0.0", 8080), handler, true);
     * }
     */
    public Server listen(InetSocketAddress address, ConnectionHandler handler, boolean reusePort)
            throws ErrnoException {
        checkCanAdd();
        Objects.requireNonNull(handler, "handler");
        reserve.fill();
        return Server.open(this, address, handler, reusePort);
    }

    /**
     * Connects to {@code address}. The connection's {@code onOpen} runs once it is
     * established; if it cannot be (refused, unreachable), its {@code onClose} runs
     * once, with the error, and {@code onOpen} never does. Writes before then are
     * queued.
     *
     * @throws ErrnoException if no socket can be made (EMFILE, ENFILE, ...)
     */
    public Connection connect(InetSocketAddress address, ConnectionHandler handler) throws ErrnoException {
        checkCanAdd();
        Objects.requireNonNull(handler, "handler");
        return Connection.open(this, address, handler);
    }

    /**
     * Closes every server and connection (without flushing), and the loop; frees its
     * native memory. Any thread. If the loop is running on another thread, it stops,
     * and this waits until it has released everything; if it is not running, this
     * thread releases it, and the connections' {@code onClose} run on this thread.
     * Tasks not yet run are dropped. Idempotent.
     */
    @Override
    public void close() {
        boolean releaseNow;
        synchronized (this) {
            if (closed) {
                releaseNow = false;
            } else {
                closed = true;
                releaseNow = runner == null;
            }
        }
        if (releaseNow) {
            release();
            return;
        }
        stop();
        if (Thread.currentThread() != thread) {
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether the current thread is the loop's. */
    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    void checkInLoop() {
        if (Thread.currentThread() != thread) {
            throw new WrongThreadException("called from " + Thread.currentThread().getName()
                    + "; this belongs to the event loop's thread " + thread.getName()
                    + " (use EventLoop.execute from other threads)");
        }
        if (released.getCount() == 0) {
            throw new IllegalStateException("EventLoop is closed");
        }
    }

    IoContext io() {
        return io;
    }

    Registry registry() {
        return registry;
    }

    Timers timers() {
        return timers;
    }

    /** Source-making calls: on the loop's thread, and not while the loop closes its sources. */
    private void checkCanAdd() {
        checkInLoop();
        if (releasing) {
            throw new IllegalStateException("EventLoop is closing");
        }
    }

    /** The fd kept back for EMFILE; see {@link FdReserve}. */
    FdReserve reserve() {
        return reserve;
    }

    void runTask(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError error) {
                throw error;
            }
            report(e);
        }
    }

    void report(Throwable e) {
        Thread current = Thread.currentThread();
        current.getUncaughtExceptionHandler().uncaughtException(current, e);
    }

    /**
     * Closes every source and frees the loop's memory, on the calling thread, which is
     * the loop's from now on: handlers' onClose run here.
     */
    private void release() {
        thread = Thread.currentThread();
        releasing = true;
        try {
            registry.forEach(Source::closeWithLoop);
            timers.clear();
            reserve.release();
            for (AutoCloseable resource : new AutoCloseable[] {events, epoll, io}) {
                closeQuietly(resource);
            }
        } finally {
            released.countDown();
        }
    }

    private static void closeQuietly(AutoCloseable resource) {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + resource + " failed", e);
        }
    }
}
