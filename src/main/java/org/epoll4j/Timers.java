// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.time.Duration;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The loop's timers, earliest first. Deadlines are absolute ({@link System#nanoTime}),
 * so an interrupted or early wait never shifts them; cancelled timers leave the
 * queue when their deadline comes.
 */
final class Timers {
    private static final Comparator<Timer> ORDER =
            Comparator.<Timer>comparingLong(t -> t.deadline).thenComparingLong(t -> t.sequence);

    /* Cancelled timers are purged once they are this many and half the queue. */
    private static final int PURGE_AT = 64;

    private final PriorityQueue<Timer> queue = new PriorityQueue<>(ORDER);
    private long sequence;
    /** Cancelled timers still in the queue, as far as the loop thread has counted them. */
    private int cancelled;
    /** Timers cancelled from other threads, not yet counted. */
    private final AtomicInteger cancelledElsewhere = new AtomicInteger();

    /**
     * Makes a timer for {@code task} after {@code delay}, from now; it runs once
     * {@link #insert inserted}. Any thread.
     *
     * @throws IllegalArgumentException if delay is negative
     */
    static Timer create(EventLoop loop, Duration delay, Runnable task) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative: " + delay);
        }
        // Beyond a century is forever, without overflowing a deadline.
        long nanos = delay.compareTo(Duration.ofDays(365 * 100)) > 0 ? Long.MAX_VALUE / 2 : delay.toNanos();
        return new Timer(loop, System.nanoTime() + nanos, task);
    }

    /**
     * A timer for {@code task} after {@code delay}: queued at once on the loop's thread (or
     * its owner's, before run()), else by a task.
     */
    Timer schedule(EventLoop loop, Duration delay, Runnable task) {
        Timer timer = create(loop, delay, task);
        boolean here = loop.isLoopThreadNow();
        boolean asOwner = !here && loop.beginOwnerCall();
        if (here || asOwner) {
            try {
                loop.checkCanAdd();
                insert(timer);
                return timer;
            } finally {
                if (asOwner) {
                    loop.endOwnerCall();
                }
            }
        }
        try {
            loop.tasks().add(() -> insert(timer), false);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("EventLoop is closed", e);
        }
        return timer;
    }

    /** Queues a timer from {@link #create}. Loop thread. */
    void insert(Timer timer) {
        timer.sequence = sequence++;
        queue.add(timer);
    }

    /** Milliseconds to wait for the earliest timer, rounded up; -1 if there is none. */
    int timeoutMillis() {
        Timer first = queue.peek();
        if (first == null) {
            return -1;
        }
        long left = first.deadline - System.nanoTime();
        return left <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000);
    }

    /** Runs the timers that are due, in order; the loop reports their exceptions. */
    void runDue(EventLoop loop) {
        if (queue.isEmpty()) {
            return; // the common case: no clock read
        }
        if (cancelledElsewhere.get() != 0) {
            cancelled += cancelledElsewhere.getAndSet(0);
        }
        long now = System.nanoTime();
        Timer first;
        while ((first = queue.peek()) != null && first.deadline - now <= 0) {
            queue.poll();
            if (first.fire()) {
                loop.runTask(first.task, "a timer");
            } else {
                cancelled--;
            }
        }
    }

    /**
     * Counts a cancelled timer. Cancelled timers wait in the queue for their deadline,
     * which is cheap one by one; but a pattern such as an idle timeout cancelled and
     * scheduled again on every read would fill the queue with them, each holding its
     * task: past a threshold they are purged in one pass. Any thread: one from another
     * thread is counted when the loop next runs its timers.
     */
    void cancelled(boolean inLoop) {
        if (!inLoop) {
            cancelledElsewhere.incrementAndGet();
            return;
        }
        if (++cancelled >= PURGE_AT && cancelled > queue.size() / 2) {
            queue.removeIf(Timer::isDone);
            cancelled = 0;
        }
    }

    /** Timers waiting in the queue, cancelled ones included. */
    int size() {
        return queue.size();
    }

    void clear() {
        queue.clear();
        cancelled = 0;
    }
}
