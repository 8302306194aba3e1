// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZ_Result;

/**
 * Guards acf51cb: {@code Lifecycle.requestClose} makes the closing thread the owner before
 * it sets {@code releasing}, because {@code isActingOn} reads the two without the lock.
 */
@JCStressTest
@Description("A close asked for while nobody runs the loop makes the closing thread its owner. From then on "
        + "the previous owner may not act on the loop at once: isActingOn(previous owner) must never be true, "
        + "since it reads releasing and then owner without the lock. With the stores the other way round "
        + "(before acf51cb) it could see releasing set with itself still the owner, and act beside the release.")
@Outcome(id = "false, false", expect = Expect.ACCEPTABLE,
        desc = "The previous owner does not act on the loop, before or after the close.")
@Outcome(id = "true, false", expect = Expect.ACCEPTABLE,
        desc = "The closing thread opened the loop: it was the owner all along.")
@Outcome(id = "true, true", expect = Expect.ACCEPTABLE_INTERESTING,
        desc = "The closing thread opened the loop, and releases it: it acts on it, rightly.")
@Outcome(id = "false, true", expect = Expect.FORBIDDEN,
        desc = "The previous owner saw the release under way with itself still the owner (acf51cb's bug).")
@State
public class RequestCloseVersusOwnerCheck {
    private final Lifecycle lifecycle = new Lifecycle();
    /** The thread that opened the loop: its owner, until the close. */
    private final Thread opener = Thread.currentThread();

    /** Another thread closes the loop, which nobody runs. r1: whether that thread had opened it. */
    @Actor
    public void close(ZZ_Result r) {
        r.r1 = Thread.currentThread() == opener;
        if (lifecycle.requestClose() != Lifecycle.CloseAction.RELEASE_HERE) {
            throw new AssertionError("nobody runs the loop and no call holds it: it is released here");
        }
    }

    /** What Loop.isLoopThreadNow() answers on the previous owner's thread. r2: whether it may act. */
    @Actor
    public void previousOwner(ZZ_Result r) {
        r.r2 = lifecycle.isActingOn(opener);
    }
}
