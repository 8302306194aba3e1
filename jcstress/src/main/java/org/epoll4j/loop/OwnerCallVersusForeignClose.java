// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLL_Result;

/**
 * Guards b110d0b ("the close race"): a close from another thread while the owner is inside
 * a call, before run(), is held until the call ends, and the owner then releases the loop.
 *
 * <p>The thread that made the state opened the loop and owns it. jcstress makes states on
 * the actors' threads after its first pass (and on a thread of its own before): the actor
 * that opened the loop plays the owner, the other closes it. States made by neither are
 * closed by both, which says nothing of owner calls and is reported apart.
 */
@JCStressTest
@Description("The owner's call (Lifecycle.beginOwnerCall/endOwnerCall, as a write before run() makes) races "
        + "close() from another thread (requestClose). The loop is released exactly once, and never while the "
        + "call is under way: either the close comes first (the call is refused and goes through the loop), "
        + "or it is held and the owner releases the loop as its call ends, or it comes after the call.")
@Outcome(id = "REFUSED, RELEASE_HERE, 1", expect = Expect.ACCEPTABLE,
        desc = "The close came first: the closing thread owns the loop, the call goes through the loop.")
@Outcome(id = "CALLED, RELEASE_HERE, 1", expect = Expect.ACCEPTABLE,
        desc = "The call ended before the close: the closing thread releases the loop.")
@Outcome(id = "CALLED, HELD, 1", expect = Expect.ACCEPTABLE_INTERESTING,
        desc = "The close came during the call: held, and the owner released the loop as its call ended.")
@Outcome(id = "NOT_AN_ACTOR, RELEASE_HERE, 1", expect = Expect.ACCEPTABLE,
        desc = "jcstress's own thread opened the loop: both actors closed it, one released it.")
@Outcome(expect = Expect.FORBIDDEN,
        desc = "Released during the owner's call (b110d0b's bug), released twice or never.")
@State
public class OwnerCallVersusForeignClose {
    private final Lifecycle lifecycle = new Lifecycle();
    private final Thread opener = Thread.currentThread();
    /** The owner is between beginOwnerCall and endOwnerCall. */
    private volatile boolean inCall;
    private final AtomicInteger releases = new AtomicInteger();
    /* Each written by one actor, read by the arbiter. */
    private String ownerSaw = "NOT_AN_ACTOR";
    private String closeAction = "NONE";

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
        r.r1 = ownerSaw;
        r.r2 = closeAction;
        r.r3 = releases.get();
    }

    private void play() {
        if (Thread.currentThread() == opener) {
            ownerCall();
        } else {
            close();
        }
    }

    /** As Loop.runAsOwner: the call, then the release if a close was held meanwhile. */
    private void ownerCall() {
        if (!lifecycle.beginOwnerCall()) {
            ownerSaw = "REFUSED";
            return;
        }
        inCall = true;
        // What a call checks before it acts (Loop.checkCanAdd): still the owner, not releasing.
        boolean lost = !lifecycle.isOwner() || lifecycle.isReleasing() || lifecycle.isReleased();
        inCall = false;
        ownerSaw = lost ? "LOST_THE_LOOP_DURING_CALL" : "CALLED";
        if (lifecycle.endOwnerCall()) {
            release();
        }
    }

    /** As Loop.closeAsync on a thread that neither runs nor owns the loop. */
    private void close() {
        Lifecycle.CloseAction action = lifecycle.requestClose();
        switch (action) {
            case RELEASE_HERE -> {
                closeAction = inCall ? "RELEASE_HERE_DURING_CALL" : "RELEASE_HERE";
                release();
            }
            case HELD -> closeAction = "HELD";
            case ALREADY -> {
                // The other actor closed first (a state that neither actor opened).
            }
            case STOP_RUNNER -> closeAction = "STOP_RUNNER";
        }
    }

    /** As Loop.release, with nothing to free. */
    private void release() {
        releases.incrementAndGet();
        lifecycle.releasing();
        lifecycle.releasedNow();
    }
}
