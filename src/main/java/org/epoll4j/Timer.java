// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A task scheduled on an {@link EventLoop} with {@link EventLoop#schedule}; it runs
 * once, on the loop's thread, unless cancelled first.
 *
 * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="idle-timeout"}
 *
 * <p>Notes: timers run no earlier than their deadline, in deadline order, and in the
 * order they reached the loop when deadlines are equal. Every method may be called from
 * any thread: a cancel that wins against the timer's run means the task never runs.
 */
public final class Timer {
    private static final int PENDING = 0;
    private static final int RAN = 1;
    private static final int CANCELLED = 2;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Timer.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final long deadline;
    final Runnable task;
    /** Ties between equal deadlines, in the order the timers reached the loop; set by {@link Timers}. */
    long sequence;
    private final EventLoop loop;
    @SuppressWarnings("unused") // through STATE
    private volatile int state;

    Timer(EventLoop loop, long deadline, Runnable task) {
        this.loop = loop;
        this.deadline = deadline;
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
