// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.time.Duration;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.TimerEntry;

/**
 * A task scheduled on an {@link EventLoop} with {@link EventLoop#schedule}; it runs
 * once, on the loop's thread, unless cancelled first.
 *
 * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="timeout"}
 *
 * <p>A timer made by {@link EventLoop#scheduleAtFixedRate} runs every period until
 * cancelled; each run costs no allocation.
 *
 * <p>Notes: timers run no earlier than their deadline, in deadline order, and in the
 * order they reached the loop when deadlines are equal. A timer scheduled from another
 * thread reaches the loop a moment after its deadline is set (it is set as schedule
 * begins): timers that ran in between, due before it reached the loop, may have later
 * deadlines. Every method may be called from any thread: a cancel that wins against the
 * timer's run means the task never runs.
 */
public final class Timer extends TimerEntry {
    private Timer(Loop loop, Duration delay, Duration period, Runnable task) {
        super(loop, delay, period, task);
    }

    /** A timer for {@code task} after {@code delay} on {@code loop}; see {@link EventLoop#schedule}. */
    static Timer schedule(Loop loop, Duration delay, Runnable task) {
        Timer timer = new Timer(loop, delay, Duration.ZERO, task);
        loop.timers().schedule(loop, timer);
        return timer;
    }

    /** A timer for {@code task} after {@code delay}, then every {@code period}; see {@link EventLoop#scheduleAtFixedRate}. */
    static Timer scheduleAtFixedRate(Loop loop, Duration delay, Duration period, Runnable task) {
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period must be positive: " + period);
        }
        Timer timer = new Timer(loop, delay, period, task);
        loop.timers().schedule(loop, timer);
        return timer;
    }

    /**
     * Cancels the timer, so that its task never runs (a periodic one: never again). Any thread.
     *
     * @return false if it had already run (or begun to; never for a periodic one) or been cancelled
     */
    @Override
    public boolean cancel() {
        return super.cancel();
    }

    /**
     * Whether the timer has run or been cancelled. Any thread.
     *
     * @return true once its task has begun to run, or it was cancelled; for a periodic one,
     *     once it was cancelled
     */
    @Override
    public boolean isDone() {
        return super.isDone();
    }
}
