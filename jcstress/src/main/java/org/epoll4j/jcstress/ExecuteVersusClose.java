// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.jcstress;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.epoll4j.EventLoop;
import org.epoll4j.epoll.ErrnoException;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LI_Result;

/**
 * {@code EventLoop.execute} against {@code EventLoop.close()}, through the API only: a loop
 * per state, which nobody runs, so that the close releases it on the closing thread and
 * runs the tasks it took as it does.
 */
@JCStressTest
@Description("EventLoop.execute(task) races EventLoop.close() on another thread, the loop not running. A task is "
        + "either taken and run (once, as the loop is released) or refused with RejectedExecutionException; "
        + "never taken and dropped.")
@Outcome(id = "TAKEN, 1", expect = Expect.ACCEPTABLE, desc = "Taken before the close: it ran as the loop closed.")
@Outcome(id = "REFUSED, 0", expect = Expect.ACCEPTABLE, desc = "The close came first: execute threw.")
@Outcome(id = "TAKEN, 0", expect = Expect.FORBIDDEN, desc = "Taken, and never run: dropped.")
@Outcome(expect = Expect.FORBIDDEN, desc = "Refused yet run, or run twice.")
@State
public class ExecuteVersusClose {
    private final EventLoop loop;
    private final AtomicInteger runs = new AtomicInteger();
    /** Written by the executing actor, read by the arbiter. */
    private String taken;

    public ExecuteVersusClose() {
        try {
            loop = EventLoop.open();
        } catch (ErrnoException e) {
            throw new IllegalStateException(e);
        }
    }

    @Actor
    public void execute() {
        try {
            loop.execute(runs::incrementAndGet);
            taken = "TAKEN";
        } catch (RejectedExecutionException e) {
            taken = "REFUSED";
        }
    }

    @Actor
    public void close() {
        loop.close();
    }

    @Arbiter
    public void arbiter(LI_Result r) {
        r.r1 = taken;
        r.r2 = runs.get();
    }
}
