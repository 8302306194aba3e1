// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.time.Duration;
import java.util.Objects;

/**
 * What an event loop has done since it was opened: a snapshot taken by
 * {@link EventLoop#metrics()}, or the sum over a group's loops
 * ({@link EventLoopGroup#metrics()}).
 *
 * {@snippet class="org.epoll4j.snippets.ObservabilitySnippets" region="metrics"}
 *
 * <p>Notes:
 * <ul>
 * <li>The counters are read one after the other while the loop runs, without stopping it:
 *     a snapshot is consistent to within what the loop does meanwhile.
 * <li>Busy time is time spent in {@link EventLoop#run()} outside epoll_wait; idle time is
 *     time blocked in epoll_wait. A loop that is not running is neither.
 * </ul>
 *
 * @param connections the stream connections (TCP, Unix domain) the loop holds, connecting
 *     or closing ones included
 * @param bytesQueued bytes those connections were given to write and the kernel has not
 *     taken yet
 * @param turns turns of the loop: waits for events, each followed by the work they bring
 * @param wakeups times another thread woke the loop (for a task, a write, a close)
 * @param tasksRun tasks and timers run
 * @param busy time spent working
 * @param idle time spent waiting for events
 */
public record LoopMetrics(int connections, long bytesQueued, long turns, long wakeups, long tasksRun, Duration busy,
                          Duration idle) {
    /** Checks that the durations are there. */
    public LoopMetrics {
        Objects.requireNonNull(busy, "busy");
        Objects.requireNonNull(idle, "idle");
    }

    /**
     * The fraction of the time that the loop ran that it was busy.
     *
     * @return busy / (busy + idle): 0 to 1, 0 if the loop has not run
     */
    public double busyFraction() {
        long total = busy.toNanos() + idle.toNanos();
        return total == 0 ? 0 : (double) busy.toNanos() / total;
    }

    /**
     * These counters added to {@code other}'s: the metrics of two loops together.
     *
     * @param other another loop's metrics
     * @return the sums
     */
    public LoopMetrics plus(LoopMetrics other) {
        return new LoopMetrics(connections + other.connections, bytesQueued + other.bytesQueued,
                turns + other.turns, wakeups + other.wakeups, tasksRun + other.tasksRun, busy.plus(other.busy),
                idle.plus(other.idle));
    }

    /**
     * What happened between {@code earlier} and this snapshot: the counts and times are
     * differences; {@code connections} and {@code bytesQueued}, which are levels, are this
     * snapshot's.
     *
     * @param earlier a snapshot of the same loop (or group), taken before this one
     * @return the counts since then, and the levels now
     */
    public LoopMetrics minus(LoopMetrics earlier) {
        return new LoopMetrics(connections, bytesQueued, turns - earlier.turns, wakeups - earlier.wakeups,
                tasksRun - earlier.tasksRun, busy.minus(earlier.busy), idle.minus(earlier.idle));
    }
}
