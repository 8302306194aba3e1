// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * A loop's counters, behind {@link EventLoop#metrics()}. The loop's thread is the only
 * writer; any thread may take a {@link #snapshot}. Writes are opaque: plain stores that
 * the JIT may neither drop nor keep in a register, so a reader sees each counter's
 * progress, whole (a long is never torn), without a fence on the loop's path.
 *
 * <p>Busy and idle time cost two clock reads per wait that may block, and none per
 * event: idle is the time spent blocked in epoll_wait, busy the rest of the time spent
 * in {@link EventLoop#run()}.
 */
final class Counters {
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

    private static VarHandle handle(String field, Class<?> type) {
        try {
            return MethodHandles.lookup().findVarHandle(Counters.class, field, type);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** run() begins on the loop's thread. */
    void running() {
        BUSY_SINCE.setOpaque(this, System.nanoTime());
    }

    /** run() ends. */
    void stopped() {
        BUSY.setOpaque(this, busyNanos + System.nanoTime() - busySince);
        BUSY_SINCE.setOpaque(this, NEVER);
    }

    /** A wait that may block begins. */
    void waitBegins() {
        long now = System.nanoTime();
        BUSY.setOpaque(this, busyNanos + now - busySince);
        BUSY_SINCE.setOpaque(this, NEVER);
        IDLE_SINCE.setOpaque(this, now);
    }

    /** That wait ended; returns how long it took, in nanoseconds. */
    long waitEnds() {
        long now = System.nanoTime();
        long waited = now - idleSince;
        IDLE.setOpaque(this, idleNanos + waited);
        IDLE_SINCE.setOpaque(this, NEVER);
        BUSY_SINCE.setOpaque(this, now);
        return waited;
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
    void queued(long change) {
        QUEUED.setOpaque(this, queued + change);
    }

    /** The counters now, with the stretch of work or wait under way counted so far. Any thread. */
    LoopMetrics snapshot(long wakeups) {
        long now = System.nanoTime();
        long busy = (long) BUSY.getOpaque(this);
        long idle = (long) IDLE.getOpaque(this);
        long busySince = (long) BUSY_SINCE.getOpaque(this);
        long idleSince = (long) IDLE_SINCE.getOpaque(this);
        busy += busySince == NEVER ? 0 : Math.max(0, now - busySince);
        idle += idleSince == NEVER ? 0 : Math.max(0, now - idleSince);
        return new LoopMetrics((int) CONNECTIONS.getOpaque(this), (long) QUEUED.getOpaque(this),
                (long) TURNS.getOpaque(this), wakeups, (long) TASKS.getOpaque(this), Duration.ofNanos(busy),
                Duration.ofNanos(idle));
    }
}
