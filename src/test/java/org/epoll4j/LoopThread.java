// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.epoll4j.epoll.ErrnoException;

/**
 * An {@link EventLoop}, optionally with a server, run on a thread of its own: a test
 * fixture. The loop is opened (and the server listens) on the test's thread, then
 * handed to the loop thread by {@link EventLoop#run()}; from then on the test talks
 * to it with {@link #call}. Whatever the loop reports to its {@link ErrorHandler}, or
 * its thread's uncaught exception handler, is kept, and {@link #close()} fails if
 * anything was left there.
 */
final class LoopThread implements AutoCloseable {
    static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private static final long PATIENCE_SECONDS = 20;

    private final EventLoop loop;
    private final InetSocketAddress address;
    private final Thread thread;
    private final List<Throwable> reported = new CopyOnWriteArrayList<>();

    /** How a fixture's server listens. */
    @FunctionalInterface
    interface Listen {
        Server on(EventLoop loop) throws ErrnoException;
    }

    private LoopThread(InetSocketAddress listenOn, ConnectionHandler handler) throws ErrnoException {
        this(handler == null ? null : loop -> loop.listen(listenOn, handler));
    }

    private LoopThread(Listen listen) throws ErrnoException {
        loop = EventLoop.open();
        loop.setErrorHandler((where, e) -> reported.add(e));
        try {
            address = listen == null ? null : (InetSocketAddress) listen.on(loop).localAddress();
        } catch (ErrnoException | RuntimeException e) {
            loop.close();
            throw e;
        }
        thread = new Thread(this::run, "event-loop");
        thread.setUncaughtExceptionHandler((t, e) -> reported.add(e));
        thread.start();
        call(() -> null); // run() has begun: the loop belongs to its thread now
    }

    /** A loop with no server. */
    static LoopThread start() throws ErrnoException {
        return new LoopThread(null, null);
    }

    /** A loop with a server on 127.0.0.1, any free port. */
    static LoopThread serve(ConnectionHandler handler) throws ErrnoException {
        return new LoopThread(LOOPBACK, handler);
    }

    /** A loop with the server {@code listen} opens. */
    static LoopThread serve(Listen listen) throws ErrnoException {
        return new LoopThread(listen);
    }

    /** A loop with a server on {@code address}. */
    static LoopThread serve(InetSocketAddress address, ConnectionHandler handler) throws ErrnoException {
        return new LoopThread(address, handler);
    }

    EventLoop loop() {
        return loop;
    }

    Thread thread() {
        return thread;
    }

    /**
     * Bytes the loop thread allocates per 64-byte round trip of {@code client} with a handler
     * that echoes: measured over 20,000 round trips after 60,000 that let the JIT compile the path.
     */
    long bytesPerRoundTrip(java.net.Socket client) throws java.io.IOException {
        byte[] message = new byte[64];
        EchoClient.roundTrips(client, message, 60_000);
        long before = allocatedBytes();
        int trips = EchoClient.roundTrips(client, message, 20_000);
        return (allocatedBytes() - before) / trips;
    }

    /** Bytes the loop thread has allocated on the heap so far: its allocation counter. */
    long allocatedBytes() {
        long bytes = ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(thread.threadId());
        if (bytes < 0) {
            throw new AssertionError("this JVM does not count the bytes each thread allocates");
        }
        return bytes;
    }

    /** The server's address, with its real port. */
    InetSocketAddress address() {
        return address;
    }

    /** Runs {@code task} on the loop thread and returns its result. */
    <T> T call(Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("task on the loop thread failed", e.getCause());
        } catch (Exception e) {
            throw new AssertionError("the loop did not run a task within " + PATIENCE_SECONDS + " s", e);
        }
    }

    /** Takes what the loop has reported to its uncaught exception handler so far. */
    List<Throwable> takeReported() {
        List<Throwable> taken = new ArrayList<>(reported);
        reported.removeAll(taken);
        return taken;
    }

    /** Closes the loop from this thread and waits for the loop thread to end. */
    @Override
    public void close() throws InterruptedException {
        loop.close();
        thread.join(TimeUnit.SECONDS.toMillis(PATIENCE_SECONDS));
        if (thread.isAlive()) {
            throw new AssertionError("the loop thread did not end after close()");
        }
        if (!reported.isEmpty()) {
            AssertionError failure = new AssertionError("the loop reported " + reported.size() + " exception(s)");
            reported.forEach(failure::addSuppressed);
            throw failure;
        }
    }

    private void run() {
        try {
            loop.run();
        } catch (Throwable e) {
            reported.add(e);
        }
    }
}
