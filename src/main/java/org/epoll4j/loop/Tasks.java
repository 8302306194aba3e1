// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.epoll4j.EventLoop;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.EventFd;

/**
 * Tasks handed to the loop from any thread, and the eventfd in the loop's epoll set
 * that wakes it for them. At most one wake-up is outstanding: a task added while one
 * is pending writes nothing to the eventfd.
 *
 * <p>Once {@link #close() closed}, no task is taken: {@link #add} throws. Every task
 * taken before is run, by {@link #runQueued} or, as the loop closes, {@link #runAll}:
 * a task is either run or refused, never dropped.
 */
public final class Tasks extends Source {
    private final Loop loop;
    private final EventFd waker;
    private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();
    /** The queue's length (its size() walks it): bumped after each add, dropped after each poll. */
    private final AtomicInteger queued = new AtomicInteger();
    /* Taken to add a task and to close, so that no task is added once closed. */
    private final Object lock = new Object();
    private boolean closed;
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    /** Writes to the eventfd so far. */
    private final AtomicLong wakeups = new AtomicLong();

    Tasks(Loop loop, EventFd waker) {
        super(waker.fd(), Interest.READ);
        this.loop = loop;
        this.waker = waker;
    }

    /**
     * Queues {@code task}; wakes the loop unless {@code inLoop}. Any thread.
     *
     * @throws RejectedExecutionException if the loop is closing or closed
     */
    void add(Runnable task, boolean inLoop) {
        synchronized (lock) {
            if (closed) {
                throw new RejectedExecutionException("EventLoop is closed");
            }
            queue.add(task);
            queued.incrementAndGet();
        }
        if (!inLoop) {
            wakeup();
        }
    }

    /**
     * Queues a task of the loop's own, from its thread: never refused, since the loop runs
     * every queued task before it closes its sources, even once closing.
     */
    public void addFromLoop(Runnable task) {
        queue.add(task);
        queued.incrementAndGet();
    }

    /** Makes the loop's wait return. Any thread. */
    void wakeup() {
        if (wakeupPending.compareAndSet(false, true)) {
            wakeups.incrementAndGet();
            try {
                waker.signal();
            } catch (ErrnoException | IllegalStateException e) {
                // Closed, or the counter is full: either way the loop needs no wake-up.
            }
        }
    }

    /** How many times the loop was woken. Any thread. */
    public long wakeups() {
        return wakeups.get();
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** Runs the tasks queued so far, in order; later ones wait for the next turn. */
    void runQueued() {
        for (int n = queued.get(); n > 0; n--) {
            Runnable task = queue.poll();
            if (task == null) {
                return;
            }
            queued.decrementAndGet();
            loop.runTask(task, "a task");
        }
    }

    /** Whether {@link #close()} was called: the loop is closing. Any thread. */
    boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** Takes no more tasks: {@link #add} throws from now on. Any thread. */
    void close() {
        synchronized (lock) {
            closed = true;
        }
    }

    /** Runs every task taken before {@link #close()}, as the loop closes. */
    void runAll() {
        Runnable task;
        while ((task = queue.poll()) != null) {
            queued.decrementAndGet();
            loop.runTask(task, "a task");
        }
    }

    @Override
    protected void ready(int events) {
        // Drained before the flag is cleared: cleared first, a wake-up written between the
        // two would be drained away while the flag stayed set, and no task added after it
        // would wake the loop again. A task whose wake-up is skipped while the flag is
        // still set was queued before this turn's runQueued, which runs it.
        try {
            waker.drain();
        } catch (ErrnoException e) {
            loop.report("draining the loop's eventfd", e);
        }
        wakeupPending.set(false);
    }

    @Override
    protected void closeWithLoop() {
        loop.registry().remove(this);
        waker.close();
    }
}
