// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.epoll4j.EventLoop;

/**
 * Whose a loop is, who runs it and who releases it. The loop belongs to one thread at a
 * time: the one that opened it, then the one running it, then the one releasing it.
 * At most one thread is in {@code run()}, and there is exactly one release, by the
 * thread that leaves {@code run()} after a close was asked for, or by the thread that
 * asks while none runs. Guarded by a lock of its own, which no caller can take.
 */
final class Lifecycle {
    /** What {@link #requestClose()} leaves the caller to do. */
    enum CloseAction {
        /** Nobody runs the loop: release it on this thread. */
        RELEASE_HERE,
        /** A thread runs it: make it stop; it releases the loop as it leaves run(). */
        STOP_RUNNER,
        /** A close was asked for already. */
        ALREADY,
        /**
         * Nobody runs the loop, but its owner is inside a call that holds the release: it
         * releases the loop after.
         */
        HELD
    }

    /** How many loops the current thread is running or releasing (nested, rarely more than one). */
    private static final ThreadLocal<int[]> LOOP_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private final Object lock = new Object();
    private final CompletableFuture<Void> released = new CompletableFuture<>();
    private volatile Thread owner = Thread.currentThread();
    private volatile boolean stopping;
    /* Written under lock. */
    private volatile Thread runner;
    private volatile boolean closeRequested;
    private volatile boolean releasing;
    /** Calls on the owner's thread that hold the release back (see {@link #hold()}); the owner's only. */
    private int holds;
    /** A release asked for while held; written under lock. */
    private volatile boolean releaseHeld;
    /** Calls the owner makes while nobody runs the loop, which run() waits for (see {@link #beginOwnerCall}); under lock. */
    private int ownerCalls;

    /** Whether the current thread is in some loop's run(), or releasing one. */
    static boolean onAnyLoopThread() {
        return LOOP_DEPTH.get()[0] > 0;
    }

    /** Whether the current thread is the loop's. */
    boolean isOwner() {
        return Thread.currentThread() == owner;
    }

    /**
     * Checks that the current thread is the loop's, and the loop not released.
     *
     * @throws WrongThreadException from another thread
     * @throws IllegalStateException once the loop is released
     */
    void checkOwner() {
        Thread current = Thread.currentThread();
        if (current != owner) {
            throw new WrongThreadException("called from " + current.getName()
                    + "; this belongs to the event loop's thread " + owner.getName()
                    + " (use EventLoop.execute from other threads)");
        }
        if (released.isDone()) {
            throw new IllegalStateException("EventLoop is closed");
        }
    }

    /** Whether run() should return after this iteration. */
    boolean isStopping() {
        return stopping;
    }

    /** Makes run() return after the current iteration. Any thread. */
    void stop() {
        stopping = true;
    }

    /** The current thread enters run(), and owns the loop from now on. */
    void enter() {
        synchronized (lock) {
            awaitOwnerCalls();
            if (closeRequested) {
                throw new IllegalStateException("EventLoop is closed");
            }
            if (runner != null) {
                throw new IllegalStateException("EventLoop is already running on " + runner.getName());
            }
            runner = Thread.currentThread();
            owner = runner;
        }
        LOOP_DEPTH.get()[0]++;
    }

    /**
     * Waits, in run() on another thread than the owner's, until the owner's calls have
     * ended: the loop is the owner's until run() has begun. Through interrupts, which it
     * sets again. Holds the lock.
     */
    private void awaitOwnerCalls() {
        boolean interrupted = false;
        while (ownerCalls > 0 && Thread.currentThread() != owner) {
            try {
                lock.wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The owner, while nobody runs the loop, begins a call that any thread may make and
     * that it may carry out at once: run() on another thread waits until the call has
     * ended, and so does the release (as for {@link #hold()}). Returns false, having begun
     * nothing, if the current thread is not the owner or the loop runs: the call must then
     * go through the loop's tasks or inboxes.
     */
    boolean beginOwnerCall() {
        Thread current = Thread.currentThread();
        if (current != owner) {
            return false;
        }
        synchronized (lock) {
            if (runner != null || current != owner) {
                return false;
            }
            ownerCalls++;
        }
        hold();
        return true;
    }

    /**
     * The owner's call has ended; returns whether the thread must release the loop now (see
     * {@link #unhold()}). Its hold ends before the lock lets run() begin on another thread,
     * whose own holds would otherwise race this thread's on the same count.
     */
    boolean endOwnerCall() {
        LOOP_DEPTH.get()[0]--;
        int left = --holds;
        synchronized (lock) {
            if (--ownerCalls == 0) {
                lock.notifyAll();
            }
            if (left == 0 && releaseHeld && !releasing) {
                releaseHeld = false;
                releasing = true;
                return true;
            }
            return false;
        }
    }

    /** The current thread leaves run(); returns whether it must release the loop now. */
    boolean exit() {
        stopping = false;
        synchronized (lock) {
            runner = null;
            if (closeRequested && !releasing) {
                releasing = true;
                return true;
            }
            return false;
        }
    }

    /** The current thread has left run(), and released the loop if it had to. */
    void left() {
        LOOP_DEPTH.get()[0]--;
    }

    CloseAction requestClose() {
        synchronized (lock) {
            if (closeRequested) {
                return CloseAction.ALREADY;
            }
            closeRequested = true;
            if (runner != null) {
                return CloseAction.STOP_RUNNER;
            }
            if ((isOwner() && holds > 0) || ownerCalls > 0) {
                // The owner is inside a call (on this thread or another): it releases the loop after.
                releaseHeld = true;
                return CloseAction.HELD;
            }
            // Owner first: isActingOn reads releasing, then owner, without the lock. The other
            // order let the previous owner see releasing with itself still the owner, and act on
            // the loop beside this thread's release.
            owner = Thread.currentThread(); // from now on, the previous owner's calls go through the loop
            releasing = true;
            return CloseAction.RELEASE_HERE;
        }
    }

    /**
     * The owner's thread enters a call that must finish before the loop is released: a
     * close asked for meanwhile, while nobody runs the loop, waits for {@link #unhold()}.
     * The thread counts as a loop thread meanwhile, so that close() there does not wait.
     */
    void hold() {
        holds++;
        LOOP_DEPTH.get()[0]++;
    }

    /** The held call has finished; returns whether the thread must release the loop now. */
    boolean unhold() {
        LOOP_DEPTH.get()[0]--;
        if (--holds > 0 || !releaseHeld) {
            return false;
        }
        synchronized (lock) {
            if (releaseHeld && !releasing) {
                releaseHeld = false;
                releasing = true;
                return true;
            }
            return false;
        }
    }

    boolean isRunningOn(Thread thread) {
        return runner == thread;
    }

    /**
     * Whether {@code thread} may touch the loop's state now: it runs the loop, or releases
     * it. Not the owner before run(): another thread may be entering run() meanwhile.
     */
    boolean isActingOn(Thread thread) {
        return runner == thread || (releasing && owner == thread);
    }

    /** Whether a close was asked for. Any thread. */
    boolean isClosing() {
        return closeRequested;
    }

    /** Whether the loop's sources are being closed, or are closed. */
    boolean isReleasing() {
        return releasing;
    }

    boolean isReleased() {
        return released.isDone();
    }

    /** The current thread starts releasing the loop, and owns it from now on. */
    void releasing() {
        owner = Thread.currentThread();
        LOOP_DEPTH.get()[0]++;
    }

    /** The current thread has released the loop. */
    void releasedNow() {
        LOOP_DEPTH.get()[0]--;
        released.complete(null);
    }

    CompletionStage<Void> released() {
        return released.minimalCompletionStage();
    }

    /** Waits until the loop is released, through interrupts, which it sets again (as join() does). */
    void awaitReleased() {
        released.join(); // never completed exceptionally
    }
}
