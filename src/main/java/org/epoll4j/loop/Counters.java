// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import org.epoll4j.EventLoop;
import org.epoll4j.LoopMetrics;

/**
 * A loop's counters, behind {@link EventLoop#metrics()}. The loop's thread is the only
 * writer; any thread may take a {@link #snapshot}. Writes are opaque: plain stores that
 * the JIT may neither drop nor keep in a register, so a reader sees each counter's
 * progress, whole (a long is never torn), without a fence on the loop's path.
 *
 * <p>Busy and idle time cost two clock reads per wait that may block, and none per
 * event: idle is the time spent blocked in epoll_wait, busy the rest of the time spent
 * in {@link EventLoop#run()}. The loop moves time between their four fields under a
 * sequence number (a seqlock: odd while it writes), so that a snapshot never sees a
 * stretch counted twice or not at all; and snapshots never go back, even when the
 * reader's clock and the loop's differ by a little.
 */
public final class Counters {
    /** "Not now", for {@link #busySince} and {@link #idleSince}. */
    private static final long NEVER = Long.MIN_VALUE;
    private static final VarHandle TURNS = handle("turns", long.class);
    private static final VarHandle TASKS = handle("tasks", long.class);
    private static final VarHandle BUSY = handle("busyNanos", long.class);
    private static final VarHandle IDLE = handle("idleNanos", long.class);
    private static final VarHandle BUSY_SINCE = handle("busySince", long.class);
    private static final VarHandle IDLE_SINCE = handle("idleSince", long.class);
    private static final VarHandle CONNECTIONS = handle("connections", int.class);
    private static final VarHandle QUEUED = handle("queued", long.class);
    private static final VarHandle VERSION = handle("version", long.class);

    private long turns;
    private long tasks;
    private long busyNanos;
    private long idleNanos;
    /** When the current stretch of work began, or NEVER outside run() and while waiting. */
    private long busySince = NEVER;
    /** When the current blocking wait began, or NEVER. */
    private long idleSince = NEVER;
    private int connections;
    private long queued;
    /** Odd while the loop writes the four fields of busy and idle time. */
    private long version;
    /** Guards the last busy and idle time a snapshot gave. */
    private final Object snapshots = new Object();
    private long lastBusy;
    private long lastIdle;

    private static VarHandle handle(String field, Class<?> type) {
        try {
            return MethodHandles.lookup().findVarHandle(Counters.class, field, type);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** run() begins on the loop's thread. */
    void running() {
        writing();
        BUSY_SINCE.setOpaque(this, System.nanoTime());
        written();
    }

    /** run() ends. */
    void stopped() {
        writing();
        BUSY.setOpaque(this, busyNanos + System.nanoTime() - busySince);
        BUSY_SINCE.setOpaque(this, NEVER);
        written();
    }

    /** A wait that may block begins. */
    void waitBegins() {
        writing();
        long now = System.nanoTime();
        BUSY.setOpaque(this, busyNanos + now - busySince);
        BUSY_SINCE.setOpaque(this, NEVER);
        IDLE_SINCE.setOpaque(this, now);
        written();
    }

    /** That wait ended; returns how long it took, in nanoseconds. */
    long waitEnds() {
        writing();
        long now = System.nanoTime();
        long waited = now - idleSince;
        IDLE.setOpaque(this, idleNanos + waited);
        IDLE_SINCE.setOpaque(this, NEVER);
        BUSY_SINCE.setOpaque(this, now);
        written();
        return waited;
    }

    /** The loop begins to write busy and idle time: the version turns odd before any field changes. */
    private void writing() {
        VERSION.setOpaque(this, version + 1);
        VarHandle.storeStoreFence();
    }

    /** Done: the version turns even after every field has changed. */
    private void written() {
        VERSION.setRelease(this, version + 1);
    }

    void turn() {
        TURNS.setOpaque(this, turns + 1);
    }

    void taskRan() {
        TASKS.setOpaque(this, tasks + 1);
    }

    long tasks() {
        return tasks;
    }

    /** A connection took a slot in the loop's registry ({@code +1}) or left it ({@code -1}). */
    void connections(int change) {
        CONNECTIONS.setOpaque(this, connections + change);
    }

    /** Output queued by connections grew or shrank by {@code change} bytes. */
    public void queued(long change) {
        QUEUED.setOpaque(this, queued + change);
    }

    /** The counters now, with the stretch of work or wait under way counted so far. Any thread. */
    LoopMetrics snapshot(long wakeups) {
        long busy;
        long idle;
        while (true) {
            long version = (long) VERSION.getAcquire(this);
            busy = (long) BUSY.getOpaque(this);
            idle = (long) IDLE.getOpaque(this);
            long busySince = (long) BUSY_SINCE.getOpaque(this);
            long idleSince = (long) IDLE_SINCE.getOpaque(this);
            long now = System.nanoTime();
            VarHandle.loadLoadFence();
            if ((version & 1) == 0 && (long) VERSION.getOpaque(this) == version) {
                busy += busySince == NEVER ? 0 : Math.max(0, now - busySince);
                idle += idleSince == NEVER ? 0 : Math.max(0, now - idleSince);
                break;
            }
            Thread.onSpinWait(); // the loop is moving time between the fields: read again
        }
        synchronized (snapshots) {
            busy = lastBusy = Math.max(busy, lastBusy);
            idle = lastIdle = Math.max(idle, lastIdle);
        }
        return new LoopMetrics((int) CONNECTIONS.getOpaque(this), (long) QUEUED.getOpaque(this),
                (long) TURNS.getOpaque(this), wakeups, (long) TASKS.getOpaque(this), Duration.ofNanos(busy),
                Duration.ofNanos(idle));
    }
}
