// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLL_Result;

/**
 * Guards d931f56: {@code Lifecycle.endOwnerCall} ends its hold before it lets run() begin on
 * another thread, whose own holds change the same plain count.
 *
 * <p>As in {@link OwnerCallVersusForeignClose}, the actor that made the state owns the loop
 * and makes the call; the other runs the loop, in which a connection closes (a hold and its
 * end, as StreamChannel.closed makes).
 */
@JCStressTest
@Description("The owner's call (beginOwnerCall/endOwnerCall) races run() begun on another thread, whose turn "
        + "holds the release and ends the hold (a connection closing). run() waits for the call, and once both "
        + "are over no hold is left: one left behind makes a later close on the loop's thread wait for a "
        + "release that never comes. Before d931f56 the owner lowered the count after run() could begin, "
        + "and the two threads' updates of the plain int could be lost.")
@Outcome(id = "CALLED, RAN, 0", expect = Expect.ACCEPTABLE, desc = "The call, then run().")
@Outcome(id = "REFUSED, RAN, 0", expect = Expect.ACCEPTABLE,
        desc = "run() began first: the runner owns the loop, the call goes through the loop.")
@Outcome(id = "NOT_AN_ACTOR, .*, 0", expect = Expect.ACCEPTABLE,
        desc = "jcstress's own thread opened the loop: no call from its owner.")
@Outcome(expect = Expect.FORBIDDEN, desc = "A hold left behind (or one too few): d931f56's bug.")
@State
public class OwnerCallEndVersusRun {
    private static final VarHandle HOLDS;

    static {
        try {
            HOLDS = MethodHandles.privateLookupIn(Lifecycle.class, MethodHandles.lookup())
                    .findVarHandle(Lifecycle.class, "holds", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Lifecycle lifecycle = new Lifecycle();
    private final Thread opener = Thread.currentThread();
    /* Each written by one actor (or both, alike, in a state neither made), read by the arbiter. */
    private String owner = "NOT_AN_ACTOR";
    private String runner = "NONE";

    @Actor
    public void actor1() {
        play();
    }

    @Actor
    public void actor2() {
        play();
    }

    @Arbiter
    public void arbiter(LLL_Result r) {
        r.r1 = owner;
        r.r2 = runner;
        r.r3 = (int) HOLDS.getVolatile(lifecycle);
    }

    private void play() {
        if (Thread.currentThread() == opener) {
            ownerCall();
        } else {
            run();
        }
    }

    /** As Loop.runAsOwner, with no close asked for. */
    private void ownerCall() {
        if (!lifecycle.beginOwnerCall()) {
            owner = "REFUSED";
            return;
        }
        owner = "CALLED";
        if (lifecycle.endOwnerCall()) {
            throw new AssertionError("no close was asked for: nothing to release");
        }
    }

    /** As Loop.run for one turn in which a connection closes. */
    private void run() {
        try {
            lifecycle.enter();
        } catch (IllegalStateException e) {
            // In a state neither actor made, the other actor runs it already.
            runner = "BUSY";
            return;
        }
        lifecycle.hold();
        if (lifecycle.unhold()) {
            throw new AssertionError("no close was asked for: nothing to release");
        }
        if (lifecycle.exit()) {
            throw new AssertionError("no close was asked for: nothing to release");
        }
        lifecycle.left();
        runner = "RAN";
    }
}
