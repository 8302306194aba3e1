// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * A task queued in a loop's {@link Timers} for a deadline: the API's
 * {@link org.epoll4j.Timer}, or a transport's own (a connection's close deadline). It
 * runs once, on the loop's thread, unless cancelled first; {@link #cancel()} and
 * {@link #isDone()} may be called from any thread.
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

    final long deadline;
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
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative: " + delay);
        }
        // Beyond a century is forever, without overflowing a deadline.
        long nanos = delay.compareTo(Duration.ofDays(365 * 100)) > 0 ? Long.MAX_VALUE / 2 : delay.toNanos();
        this.loop = loop;
        this.deadline = System.nanoTime() + nanos;
        this.task = task;
    }

    /**
     * Cancels the timer, so that its task never runs. Any thread.
     *
     * @return false if it had already run (or begun to) or been cancelled
     */
    public boolean cancel() {
        if (!STATE.compareAndSet(this, PENDING, CANCELLED)) {
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
        return state != PENDING;
    }

    /** Marks the timer as run; returns false if it was cancelled. */
    boolean fire() {
        return STATE.compareAndSet(this, PENDING, RAN);
    }
}
