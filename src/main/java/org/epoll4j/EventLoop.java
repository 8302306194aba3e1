package org.epoll4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.epoll4j.ffi.Libc;
import org.epoll4j.internal.EventFd;
import org.epoll4j.internal.Fd;
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
    private static final int BACKLOG = 4096;
    static final int SHED = 1;
    static final int NONE_PENDING = 0;
    static final int OUT_OF_FDS = -1;

    private final Epoll epoll;
    private final EpollEvents events;
    private final IoContext io;
    private final EventFd waker;
    private final Registry registry = new Registry();
    private final Timers timers = new Timers();
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile Thread thread = Thread.currentThread();
    private volatile boolean stopping;
    private boolean running;
    private boolean closed;
    /** An fd kept in reserve, given up to accept and refuse a connection at EMFILE. */
    private int reserve = -1;

    private EventLoop(Epoll epoll, EpollEvents events, IoContext io, EventFd waker) throws ErrnoException {
        this.epoll = epoll;
        this.events = events;
        this.io = io;
        this.waker = waker;
        register(new Waker(), Epoll.IN);
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
            if (running) {
                throw new IllegalStateException("EventLoop is already running on " + thread.getName());
            }
            running = true;
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
                runTasks();
            }
        } catch (ErrnoException e) {
            throw new UncheckedIOException(e);
        } finally {
            boolean release;
            synchronized (this) {
                running = false;
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
        wakeup();
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
        tasks.add(task);
        if (Thread.currentThread() != thread) {
            wakeup();
        }
    }

    /**
     * Runs {@code task} on the loop's thread once {@code delay} has passed.
     *
     * @throws IllegalArgumentException if delay is negative
     */
    public Timer schedule(Duration delay, Runnable task) {
        checkInLoop();
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
        checkInLoop();
        Objects.requireNonNull(handler, "handler");
        int fd = Socket.open(io.capture, Sockaddr.family(address));
        try {
            Socket.setInt(io.capture, io.scratch, fd, Libc.SOL_SOCKET(), Libc.SO_REUSEADDR(), 1, "SO_REUSEADDR");
            Socket.bind(io.capture, io.scratch, fd, address);
            Socket.listen(io.capture, fd, BACKLOG);
            if (reserve < 0) {
                reserve = Socket.open(io.capture, Libc.AF_INET());
            }
            Server server = new Server(this, fd, handler, Socket.localAddress(io.capture, io.scratch, fd));
            register(server, Epoll.IN);
            return server;
        } catch (ErrnoException | RuntimeException e) {
            Fd.closeQuietly(io.capture, fd);
            throw e;
        }
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
        checkInLoop();
        Objects.requireNonNull(handler, "handler");
        int fd = Socket.open(io.capture, Sockaddr.family(address));
        Connection connection = new Connection(this, handler, fd, true);
        try {
            Socket.setInt(io.capture, io.scratch, fd, Libc.IPPROTO_TCP(), Libc.TCP_NODELAY(), 1, "TCP_NODELAY");
            Socket.connect(io.capture, io.scratch, fd, address);
            register(connection, Epoll.OUT);
        } catch (ErrnoException e) {
            // The failure is the connection's: it reaches the handler after connect returns.
            // The socket stays unregistered: epoll would report an unconnected socket as HUP.
            execute(() -> connection.failConnect(e));
        } catch (RuntimeException e) {
            Fd.closeQuietly(io.capture, fd);
            throw e;
        }
        return connection;
    }

    /**
     * Closes every server and connection (without flushing), and the loop; frees its
     * native memory. Any thread. If the loop is running on another thread, it stops,
     * and this waits until it has released everything. Idempotent.
     */
    @Override
    public void close() {
        boolean releaseNow;
        synchronized (this) {
            if (closed) {
                releaseNow = false;
            } else {
                closed = true;
                releaseNow = !running;
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

    void modify(Source source, int interest) throws ErrnoException {
        epoll.modify(source.fd, interest, registry.data(source.slot));
    }

    void unregister(Source source) {
        registry.remove(source);
    }

    /** Registers a socket that a server accepted and opens its connection. */
    void adopt(int fd, ConnectionHandler handler) {
        Connection connection = new Connection(this, handler, fd, false);
        try {
            Socket.setInt(io.capture, io.scratch, fd, Libc.IPPROTO_TCP(), Libc.TCP_NODELAY(), 1, "TCP_NODELAY");
            register(connection, connection.interest());
        } catch (ErrnoException e) {
            // Reset before it was registered, or no room in the epoll set: drop it.
            Fd.closeQuietly(io.capture, fd);
            return;
        }
        connection.opened();
    }

    /**
     * At EMFILE: frees the reserved fd, accepts one pending connection and closes it,
     * then reserves an fd again.
     *
     * @return {@link #SHED} if a connection was refused, {@link #NONE_PENDING} if none
     *     was waiting, {@link #OUT_OF_FDS} if no fd could be had for it
     */
    int shedOnePending(int listener) {
        if (reserve < 0) {
            return OUT_OF_FDS;
        }
        Fd.closeQuietly(io.capture, reserve);
        reserve = -1;
        int result;
        try {
            int refused = Socket.accept(io.capture, listener);
            if (refused >= 0) {
                Fd.closeQuietly(io.capture, refused);
            }
            result = refused >= 0 ? SHED : NONE_PENDING;
        } catch (ErrnoException e) {
            result = OUT_OF_FDS;
        }
        try {
            reserve = Socket.open(io.capture, Libc.AF_INET());
        } catch (ErrnoException e) {
            // Another fd took its place; the server pauses accepting until fds free up.
            result = result == SHED ? SHED : OUT_OF_FDS;
        }
        return result;
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

    private void register(Source source, int interest) throws ErrnoException {
        long data = registry.add(source);
        try {
            epoll.add(source.fd, interest, data);
        } catch (ErrnoException e) {
            registry.remove(source);
            throw e;
        }
    }

    private void runTasks() {
        for (int n = tasks.size(); n > 0; n--) {
            Runnable task = tasks.poll();
            if (task == null) {
                return;
            }
            runTask(task);
        }
    }

    private void wakeup() {
        if (wakeupPending.compareAndSet(false, true)) {
            try {
                waker.signal();
            } catch (ErrnoException | IllegalStateException e) {
                // Closed, or the counter is full: either way the loop needs no wake-up.
            }
        }
    }

    private void release() {
        registry.forEach(Source::closeWithLoop);
        timers.clear();
        tasks.clear();
        if (reserve >= 0) {
            Fd.closeQuietly(io.capture, reserve);
            reserve = -1;
        }
        for (AutoCloseable resource : new AutoCloseable[] {waker, events, epoll, io}) {
            closeQuietly(resource);
        }
        released.countDown();
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

    /** The loop's eventfd: readable when another thread wants the loop's attention. */
    private final class Waker extends Source {
        Waker() {
            super(waker.fd());
        }

        @Override
        void ready(int events) {
            wakeupPending.set(false);
            try {
                waker.drain();
            } catch (ErrnoException e) {
                report(e);
            }
        }

        @Override
        void closeWithLoop() {
            unregister(this);
        }
    }
}
