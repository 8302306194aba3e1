// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.lang.invoke.MethodHandles;
import java.time.Duration;
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
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * {@code Timer.cancel} from another thread against the loop firing the timer
 * ({@code Timers.runDue}), on a due timer of a queue of its own. The API's {@code Timer} is
 * a final subclass of {@code TimerEntry}, whose {@code cancel} it keeps.
 *
 * <p>The timer's loop, which {@code cancel} tells about the cancelled timer, is one loop for
 * every state, opened on a thread of its own and never run: from the actors' threads,
 * cancel counts the timer as cancelled elsewhere, as it does while the loop runs on
 * another thread. An actor plays the loop's thread firing the timer: through the API, a
 * loop would take a system call (epoll_wait) to reach its timers while cancel takes a
 * compare-and-set, and jcstress would see the cancel win nearly every time.
 */
@JCStressTest
@Description("Timer.cancel() races the loop's thread firing the same due timer (Timers.runDue). Exactly one "
        + "wins: cancel returns true and the task never runs, or cancel returns false and the task runs once.")
@Outcome(id = "true, 0", expect = Expect.ACCEPTABLE, desc = "Cancelled before it fired: the task never ran.")
@Outcome(id = "false, 1", expect = Expect.ACCEPTABLE, desc = "Fired first: cancel returned false, the task ran once.")
@Outcome(id = "true, 1", expect = Expect.FORBIDDEN, desc = "Both: cancel said it cancelled a task that ran.")
@Outcome(id = "false, 0", expect = Expect.FORBIDDEN, desc = "Neither: the task was lost.")
@Outcome(expect = Expect.FORBIDDEN, desc = "The task ran twice.")
@State
public class TimerCancelVersusFire {
    /** The loop the timers belong to (see above); never closed, as the fork ends with it. */
    private static final Loop LOOP = openOnThreadOfItsOwn();

    private final Timers timers = new Timers();
    private final AtomicInteger runs = new AtomicInteger();
    private final TimerEntry timer = new TimerEntry(LOOP, Duration.ZERO, runs::incrementAndGet);

    public TimerCancelVersusFire() {
        timers.insert(timer);
    }

    @Actor
    public void loop() {
        timers.runDue(LOOP);
    }

    @Actor
    public void cancel(ZI_Result r) {
        r.r1 = timer.cancel();
    }

    @Arbiter
    public void arbiter(ZI_Result r) {
        r.r2 = runs.get();
    }

    /**
     * A loop opened on a thread that ends at once, so that no actor owns it, and its engine,
     * which the API keeps private: the test reaches it by reflection, as it may on the class
     * path ({@code Loop.open} admits only the library's own classes).
     */
    private static Loop openOnThreadOfItsOwn() {
        Opener opener = new Opener();
        Thread thread = Thread.ofPlatform().name("epoll4j-timer-loop-owner").start(opener);
        try {
            thread.join();
            return (Loop) MethodHandles.privateLookupIn(EventLoop.class, MethodHandles.lookup())
                    .findGetter(EventLoop.class, "loop", Loop.class)
                    .invoke(opener.loop);
        } catch (Throwable e) {
            throw new IllegalStateException("the loop did not open: see the thread's exception above", e);
        }
    }

    /**
     * Not a lambda: a lambda's body is a method of this class, which the thread would wait to
     * see initialized while this class's initializer waits for the thread.
     */
    private static final class Opener implements Runnable {
        private EventLoop loop;

        @Override
        public void run() {
            try {
                loop = EventLoop.open();
            } catch (ErrnoException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
