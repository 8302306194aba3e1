// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.epoll4j.EventLoop;

/**
 * The loop's timers, earliest first. Deadlines are absolute ({@link System#nanoTime}),
 * so an interrupted or early wait never shifts them; cancelled timers leave the
 * queue when their deadline comes. Timers scheduled from other threads wait in a queue of
 * their own until the loop next runs its timers, which takes them in first: due timers
 * run in deadline order whichever thread scheduled them.
 */
public final class Timers {
    private static final Comparator<TimerEntry> ORDER =
            Comparator.<TimerEntry>comparingLong(t -> t.deadline).thenComparingLong(t -> t.sequence);

    /* Cancelled timers are purged once they are this many and half the queue. */
    private static final int PURGE_AT = 64;

    private final PriorityQueue<TimerEntry> queue = new PriorityQueue<>(ORDER);
    /** Timers scheduled from other threads, not yet in the queue. */
    private final Queue<TimerEntry> incoming = new ConcurrentLinkedQueue<>();
    private long sequence;
    /** Cancelled timers still in the queue, as far as the loop thread has counted them. */
    private int cancelled;
    /** Timers cancelled from other threads, not yet counted. */
    private final AtomicInteger cancelledElsewhere = new AtomicInteger();

    /**
     * Queues {@code timer}: at once on the loop's thread (or its owner's, before run()),
     * else through {@code incoming}, waking the loop.
     *
     * @throws IllegalStateException if the loop is closing or closed
     */
    public void schedule(Loop loop, TimerEntry timer) {
        boolean here = loop.isLoopThreadNow();
        boolean asOwner = !here && loop.beginOwnerCall();
        if (here || asOwner) {
            try {
                loop.checkCanAdd();
                insert(timer);
                return;
            } finally {
                if (asOwner) {
                    loop.endOwnerCall();
                }
            }
        }
        if (!loop.isOpen() || loop.tasks().isClosed()) {
            throw new IllegalStateException("EventLoop is closed");
        }
        // A close after this check drops the timer with the others, as it would a timer taken just before.
        incoming.add(timer);
        loop.tasks().wakeup();
    }

    /** Queues {@code timer}. Loop thread. */
    public void insert(TimerEntry timer) {
        timer.sequence = sequence++;
        queue.add(timer);
    }

    /** Milliseconds to wait for the earliest timer, rounded up; -1 if there is none. */
    int timeoutMillis() {
        TimerEntry first = queue.peek();
        if (first == null) {
            return -1;
        }
        long left = first.deadline - System.nanoTime();
        return left <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000);
    }

    /** Whether timers from other threads wait to be queued: the loop must not block before it takes them. */
    boolean hasIncoming() {
        return !incoming.isEmpty();
    }

    /** Runs the timers that are due, in order; the loop reports their exceptions. */
    void runDue(Loop loop) {
        for (TimerEntry timer; (timer = incoming.poll()) != null; ) {
            insert(timer);
        }
        if (queue.isEmpty()) {
            return; // the common case: no clock read
        }
        if (cancelledElsewhere.get() != 0) {
            cancelled += cancelledElsewhere.getAndSet(0);
        }
        long now = System.nanoTime();
        TimerEntry first;
        while ((first = queue.peek()) != null && first.deadline - now <= 0) {
            queue.poll();
            if (first.fire()) {
                loop.runTask(first.task, "a timer");
                if (first.period > 0 && first.pendingAgain()) {
                    // The next deadline on its rhythm after now: runs missed while the loop was busy are not made up.
                    long late = now - first.deadline;
                    first.deadline += first.period * (late / first.period + 1);
                    insert(first);
                }
            } else if (cancelled > 0) {
                cancelled--; // a count only: one cancelled while it waited in incoming may have been reset by a purge
            }
        }
    }

    /**
     * Counts a cancelled timer. Cancelled timers wait in the queue for their deadline,
     * which is cheap one by one; but a pattern such as an idle timeout cancelled and
     * scheduled again on every read would fill the queue with them, each holding its
     * task: past a threshold they are purged in one pass. Any thread: one from another
     * thread is counted when the loop next runs its timers.
     */
    void cancelled(boolean inLoop) {
        if (!inLoop) {
            cancelledElsewhere.incrementAndGet();
            return;
        }
        if (++cancelled >= PURGE_AT && cancelled > queue.size() / 2) {
            queue.removeIf(TimerEntry::isDone);
            cancelled = 0;
        }
    }

    /**
     * Queues {@code timer}, which has run (and is not periodic), again for {@code deadline}
     * ({@link System#nanoTime}); false if it was cancelled meanwhile. Loop thread.
     */
    public boolean rearm(TimerEntry timer, long deadline) {
        if (!timer.pendingAgain()) {
            return false;
        }
        timer.deadline = deadline;
        insert(timer);
        return true;
    }

    /** Timers waiting in the queue, cancelled ones included. */
    public int size() {
        return queue.size();
    }

    void clear() {
        queue.clear();
        incoming.clear();
        cancelled = 0;
    }
}
