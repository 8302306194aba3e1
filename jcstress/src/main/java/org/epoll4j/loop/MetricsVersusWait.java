// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import org.epoll4j.LoopMetrics;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * Guards 8a4dd81: {@code Counters} moves time between busy and idle under a sequence
 * number (a seqlock), so that a snapshot ({@code EventLoop.metrics()}) never counts a
 * stretch twice or not at all.
 *
 * <p>The loop's run began as the state was made, at a time between {@code before} and
 * {@code after}; the loop's thread then begins a wait and ends it, moving the stretch of
 * work so far to busy time and the wait to idle time. Whenever a snapshot is taken, busy
 * plus idle is the time since run() began, to within the reader's own clock reads:
 * a stretch counted twice or lost moves it by the whole stretch of work (everything since
 * the state was made, microseconds at least), far beyond that margin.
 */
@JCStressTest
@Description("EventLoop.metrics() from another thread races the loop moving time between busy and idle as a "
        + "wait begins and ends (Counters.waitBegins/waitEnds). busy + idle in the snapshot is always the time "
        + "since run() began, to within the clock reads around it: never a stretch counted twice, or lost.")
@Outcome(id = "EXACT", expect = Expect.ACCEPTABLE, desc = "busy + idle is the time run() has lasted.")
@Outcome(id = "COUNTED_TWICE", expect = Expect.FORBIDDEN,
        desc = "busy + idle exceeds the time run() has lasted: a stretch was counted in both (no seqlock).")
@Outcome(id = "LOST", expect = Expect.FORBIDDEN,
        desc = "busy + idle falls short of the time run() has lasted: a stretch was counted in neither.")
@State
public class MetricsVersusWait {
    private final Counters counters = new Counters();
    private final long before;
    private final long after;

    public MetricsVersusWait() {
        before = System.nanoTime();
        counters.running();
        after = System.nanoTime();
    }

    /** The loop's thread, as Dispatcher.waitIdle does around epoll_wait. */
    @Actor
    public void loop() {
        counters.waitBegins();
        counters.waitEnds();
    }

    @Actor
    public void metrics(L_Result r) {
        long start = System.nanoTime();
        LoopMetrics metrics = counters.snapshot(0);
        long end = System.nanoTime();
        long total = metrics.busy().toNanos() + metrics.idle().toNanos();
        // run() began in [before, after], the snapshot read the clock in [start, end].
        if (total > end - before) {
            r.r1 = "COUNTED_TWICE";
        } else if (total < start - after) {
            r.r1 = "LOST";
        } else {
            r.r1 = "EXACT";
        }
    }
}
