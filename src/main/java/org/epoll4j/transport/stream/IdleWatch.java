// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.time.Duration;
import org.epoll4j.Connection;
import org.epoll4j.Idle;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.TimerEntry;

/**
 * A connection's idle timeouts ({@link Connection#setIdleTimeout}): when it last read and
 * wrote, and one timer entry in the loop's queue for the earliest time it could be idle.
 * Reads and writes only note the loop's clock (no allocation, no queue work); when the
 * entry runs, it tells the handler of each timeout that has passed with no activity, and
 * queues itself again for the next, from the latest activity. So a busy connection costs
 * one queue insertion per timeout period, however many reads it makes: a loop can hold
 * 100,000 such connections.
 */
final class IdleWatch implements Runnable {
    private static final Idle[] KINDS = Idle.values();

    private final StreamChannel connection;
    private final Loop loop;
    /** Per {@link Idle} kind, in nanoseconds; 0 if not watched. */
    private final long[] timeouts = new long[KINDS.length];
    /** Per kind, when the idle time counts from: the last activity, or the last time it was told. */
    private final long[] since = new long[KINDS.length];
    private long lastRead;
    private long lastWrite;
    private TimerEntry entry;

    IdleWatch(StreamChannel connection, Loop loop) {
        this.connection = connection;
        this.loop = loop;
        long now = loop.now();
        lastRead = now;
        lastWrite = now;
    }

    /** Input arrived; {@code now} is the loop's clock. */
    void read(long now) {
        lastRead = now;
    }

    /** Output went to the kernel. */
    void wrote(long now) {
        lastWrite = now;
    }

    /** Sets the timeout of {@code kind} (0: none), counting from now, and queues the entry for the earliest. */
    void timeout(Idle kind, Duration timeout) {
        long now = loop.now();
        timeouts[kind.ordinal()] = timeout.toNanos();
        since[kind.ordinal()] = now;
        schedule();
    }

    /** The connection is closed: no more checks. */
    void stop() {
        if (entry != null) {
            entry.cancel();
            entry = null;
        }
    }

    /** The entry's run: tells the handler of each timeout passed, then waits for the next. */
    @Override
    public void run() {
        TimerEntry ran = entry;
        // The clock itself, not the turn's: activity noted at the turn's start may be a whole
        // timeout old by now (a handler that took long), and a deadline computed from it would
        // be due again at once, and again, within this one run of the timers.
        long now = System.nanoTime();
        for (Idle kind : KINDS) {
            long timeout = timeouts[kind.ordinal()];
            if (timeout > 0 && connection.isOpenNow() && now - last(kind) >= timeout) {
                since[kind.ordinal()] = now; // told: the next time is a whole timeout from now
                connection.idle(kind);
            }
        }
        // Unless onIdle set a timeout, which queued an entry of its own, or closed the connection
        // (a closing one is not idle: it is on its way out, within its close timeout).
        if (entry == ran && ran != null && connection.isOpenNow()) {
            long next = next();
            if (next == Long.MAX_VALUE || !loop.timers().rearm(ran, next)) {
                entry = null;
            }
        }
    }

    /** Idle time of {@code kind} counts from the later of its last activity and the last time it was told. */
    private long last(Idle kind) {
        long active = switch (kind) {
            case READ -> lastRead;
            case WRITE -> lastWrite;
            case BOTH -> lastRead - lastWrite > 0 ? lastRead : lastWrite;
        };
        long told = since[kind.ordinal()];
        return active - told > 0 ? active : told;
    }

    /** The earliest time a timeout could pass, from what is known now; Long.MAX_VALUE if none is set. */
    private long next() {
        long next = Long.MAX_VALUE;
        boolean any = false;
        for (Idle kind : KINDS) {
            long timeout = timeouts[kind.ordinal()];
            if (timeout > 0) {
                long at = last(kind) + timeout;
                next = any && next - at < 0 ? next : at;
                any = true;
            }
        }
        return next;
    }

    /** Queues the entry for the earliest deadline, replacing one queued for later. */
    private void schedule() {
        long next = next();
        if (entry != null) {
            if (!entry.isDone() && entry.deadline() - next <= 0) {
                return; // queued for no later than needed: its run finds the rest
            }
            entry.cancel();
            entry = null;
        }
        if (next != Long.MAX_VALUE) {
            entry = new TimerEntry(loop, next, this);
            loop.timers().insert(entry);
        }
    }
}
