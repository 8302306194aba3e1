// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * A task queued in a loop's {@link Timers} for a deadline: the API's
 * {@link org.epoll4j.Timer}, or a transport's own (a connection's close deadline, its idle
 * check). It runs once, on the loop's thread, unless cancelled first, or every period if it
 * has one; {@link #cancel()} and {@link #isDone()} may be called from any thread. The
 * loop may queue an entry that has run again for a new deadline ({@link Timers#rearm}):
 * none is allocated per run.
 */
public class TimerEntry {
    private static final int PENDING = 0;
    private static final int RAN = 1;
    private static final int CANCELLED = 2;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(TimerEntry.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** When it runs next ({@link System#nanoTime}); written on the loop's thread while it is out of the queue. */
    long deadline;
    /** Nanoseconds from one run to the next, 0 if it runs once. */
    final long period;
    final Runnable task;
    /** Ties between equal deadlines, in the order the timers reached the loop; set by {@link Timers}. */
    long sequence;
    private final Loop loop;
    @SuppressWarnings("unused") // through STATE
    private volatile int state;

    /**
     * An entry for {@code task} after {@code delay}, from now; it runs once
     * {@link Timers#insert inserted}. Any thread.
     *
     * @throws IllegalArgumentException if delay is negative
     */
    public TimerEntry(Loop loop, Duration delay, Runnable task) {
        this(loop, delay, Duration.ZERO, task);
    }

    /**
     * An entry for {@code task} after {@code delay}, then every {@code period} if it is not
     * zero. Any thread.
     *
     * @throws IllegalArgumentException if delay or period is negative
     */
    public TimerEntry(Loop loop, Duration delay, Duration period, Runnable task) {
        if (delay.isNegative() || period.isNegative()) {
            throw new IllegalArgumentException("delay and period must not be negative: " + delay + ", " + period);
        }
        this.loop = loop;
        this.deadline = System.nanoTime() + nanos(delay);
        this.period = nanos(period);
        this.task = task;
    }

    /** An entry for {@code task} at {@code deadline} ({@link System#nanoTime}), run once. Any thread. */
    public TimerEntry(Loop loop, long deadline, Runnable task) {
        this.loop = loop;
        this.deadline = deadline;
        this.period = 0;
        this.task = task;
    }

    /** Beyond a century is forever, without overflowing a deadline. */
    private static long nanos(Duration delay) {
        return delay.compareTo(Duration.ofDays(365 * 100)) > 0 ? Long.MAX_VALUE / 2 : delay.toNanos();
    }

    /**
     * Cancels the timer, so that its task never runs. Any thread.
     *
     * @return false if it had already run (or begun to; a periodic one: never) or been cancelled
     */
    public boolean cancel() {
        // A periodic entry is RAN only while its task runs, and a cancel then stops the runs to come.
        if (!STATE.compareAndSet(this, PENDING, CANCELLED)
                && (period == 0 || !STATE.compareAndSet(this, RAN, CANCELLED))) {
            return false;
        }
        Timers timers = loop.timers();
        if (loop.isLoopThreadNow()) {
            timers.cancelled(true);
        } else if (!loop.runAsOwner(() -> timers.cancelled(true))) {
            timers.cancelled(false);
        }
        return true;
    }

    /**
     * Whether the timer has run or been cancelled. Any thread.
     *
     * @return true once its task has begun to run, or it was cancelled
     */
    public boolean isDone() {
        int now = state;
        return period == 0 ? now != PENDING : now == CANCELLED;
    }

    /** When it runs next ({@link System#nanoTime}). Loop thread. */
    public long deadline() {
        return deadline;
    }

    /** Marks the timer as run; returns false if it was cancelled. */
    boolean fire() {
        return STATE.compareAndSet(this, PENDING, RAN);
    }

    /** Makes an entry that has run pending again, for {@link Timers#rearm}; false if it was cancelled meanwhile. */
    boolean pendingAgain() {
        return STATE.compareAndSet(this, RAN, PENDING);
    }
}
