// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.time.Duration;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.TimerEntry;

/**
 * A task scheduled on an {@link EventLoop} with {@link EventLoop#schedule}; it runs
 * once, on the loop's thread, unless cancelled first.
 *
 * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="idle-timeout"}
 *
 * <p>Notes: timers run no earlier than their deadline, in deadline order, and in the
 * order they reached the loop when deadlines are equal. A timer scheduled from another
 * thread reaches the loop a moment after its deadline is set (it is set as schedule
 * begins): timers that ran in between, due before it reached the loop, may have later
 * deadlines. Every method may be called from any thread: a cancel that wins against the
 * timer's run means the task never runs.
 */
public final class Timer extends TimerEntry {
    private Timer(Loop loop, Duration delay, Runnable task) {
        super(loop, delay, task);
    }

    /** A timer for {@code task} after {@code delay} on {@code loop}; see {@link EventLoop#schedule}. */
    static Timer schedule(Loop loop, Duration delay, Runnable task) {
        Timer timer = new Timer(loop, delay, task);
        loop.timers().schedule(loop, timer);
        return timer;
    }

    /**
     * Cancels the timer, so that its task never runs. Any thread.
     *
     * @return false if it had already run (or begun to) or been cancelled
     */
    @Override
    public boolean cancel() {
        return super.cancel();
    }

    /**
     * Whether the timer has run or been cancelled. Any thread.
     *
     * @return true once its task has begun to run, or it was cancelled
     */
    @Override
    public boolean isDone() {
        return super.isDone();
    }
}
