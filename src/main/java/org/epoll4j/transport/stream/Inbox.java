// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.epoll4j.loop.ForeignRequests;

/**
 * What threads other than the loop's ask of one connection: bytes to write, copied into
 * the loop's native chunks as they are asked for, and requests to shut output down, close, abort, pause or resume
 * reading. The loop applies them in a turn of its own, in the order they were taken
 * ({@link #apply()}); the first request of a burst puts the inbox on the loop's list,
 * and wakes the loop at most once.
 *
 * <p>Once output is closed (by a request here, by the loop thread, or because the
 * connection closed), writes are refused: a write is either taken, and goes out before
 * any close asked for after it, or refused, never dropped without a word. Made on the
 * first foreign request, so that connections only the loop thread uses cost nothing.
 */
final class Inbox extends ForeignRequests.Request {
    /** The inbox of a connection closed before any foreign request: refuses everything. */
    static final Inbox CLOSED = new Inbox(null, true);
    /**
     * Marks, with no inbox made, a connection whose output the loop thread closed before
     * any foreign request: a foreign call then makes a real inbox, which refuses writes.
     */
    static final Inbox OUTPUT_CLOSED = new Inbox(null, true);

    private static final int SHUTDOWN = 1;
    private static final int CLOSE = 1 << 1;
    private static final int ABORT = 1 << 2;
    private static final int PAUSE = 1 << 3;
    private static final int RESUME = 1 << 4;

    private final StreamOutput channel;
    /**
     * Whether this is on the loop's list: set by the push, cleared only as the loop takes
     * it off ({@link #unlist}), so that it is never pushed while on the list, which would
     * cut off the inboxes below it. Guarded by this.
     */
    private boolean listed;
    /** Whether requests wait; read without the lock only as a hint. */
    private volatile boolean pending;
    /* Guarded by this; two queues, made on the first write, so that writers fill one while the loop empties the other. */
    private WriteQueue staged;
    private WriteQueue spare;
    private int requests;
    /** No more writes: a shutdown, close or abort was asked for, here or by the loop thread. */
    private boolean outputClosed;
    /** The connection is closed: nothing more is taken. */
    private boolean shut;
    private IOException abortCause;

    /** An inbox for {@code channel}; one that refuses writes from the start if {@code outputClosed}. */
    Inbox(StreamOutput channel, boolean outputClosed) {
        this.channel = channel;
        this.shut = channel == null;
        this.outputClosed = outputClosed;
    }

    /** Copies {@code src}'s remaining bytes for the loop to write; false if output is closed. Any thread. */
    boolean write(ByteBuffer src) {
        int n = src.remaining();
        boolean taken;
        boolean schedule;
        synchronized (this) {
            if (outputClosed) {
                return false;
            }
            if (staged == null) {
                staged = new WriteQueue();
                spare = new WriteQueue();
            }
            long limit = channel.limits().outputLimit;
            taken = staged.size() + n <= limit;
            if (taken) {
                staged.append(src, channel.loop.io());
                schedule = schedule();
            } else {
                // Past the limit before the loop has even queued it: the connection resets.
                schedule = abort(StreamOutput.limitExceeded(staged.size() + n, limit));
            }
        }
        scheduleOnLoop(schedule);
        return taken;
    }

    /** Asks for a FIN once what was written has gone; later writes are refused. Any thread. */
    void shutdownOutput() {
        boolean schedule;
        synchronized (this) {
            if (outputClosed) {
                return;
            }
            outputClosed = true;
            schedule = request(SHUTDOWN);
        }
        scheduleOnLoop(schedule);
    }

    /** Asks for a graceful close after what was written; later writes are refused. Any thread. */
    void close() {
        boolean schedule;
        synchronized (this) {
            if (shut || (requests & (CLOSE | ABORT)) != 0) {
                return;
            }
            outputClosed = true;
            schedule = request(CLOSE);
        }
        scheduleOnLoop(schedule);
    }

    /** Asks for a reset; what is waiting is dropped. Any thread. */
    void abort() {
        boolean schedule;
        synchronized (this) {
            schedule = abort(null);
        }
        scheduleOnLoop(schedule);
    }

    /** Asks to pause reading, undoing an earlier resume not yet applied. Any thread. */
    void pauseReading() {
        askReading(PAUSE);
    }

    /** Asks to resume reading, undoing an earlier pause not yet applied. Any thread. */
    void resumeReading() {
        askReading(RESUME);
    }

    /** Whether requests wait for the loop: a hint, for the loop thread to apply them before its own. */
    boolean hasWork() {
        return pending;
    }

    @Override
    protected synchronized void unlist() {
        listed = false;
    }

    /** Refuses whatever comes from now on and drops what waits: the connection is closed. Loop thread. */
    synchronized void shut() {
        shut = true;
        outputClosed = true;
        requests = 0;
        drop();
    }

    /** Takes no more writes, as the loop thread shuts output down or closes itself. Loop thread. */
    synchronized void closeOutput() {
        outputClosed = true;
    }

    /** Applies what waits, in order: the bytes, then shutdown, close or abort, then pause or resume. Loop thread. */
    @Override
    protected void apply() {
        WriteQueue bytes;
        int asked;
        IOException cause;
        synchronized (this) {
            if (!pending) {
                return;
            }
            pending = false;
            bytes = staged;
            staged = spare;
            spare = null;
            asked = requests;
            requests = 0;
            cause = abortCause;
        }
        if (bytes != null && bytes.size() > 0) {
            channel.acceptStaged(bytes);
        }
        synchronized (this) {
            spare = bytes;
            if (shut) {
                drop();
            }
        }
        if ((asked & ABORT) != 0) {
            channel.closed(cause, true);
            return;
        }
        if ((asked & SHUTDOWN) != 0) {
            channel.requestShutdownOutput();
        }
        if ((asked & CLOSE) != 0) {
            channel.requestClose();
        }
        if ((asked & PAUSE) != 0) {
            channel.pause();
        } else if ((asked & RESUME) != 0) {
            channel.resume();
        }
    }

    /** Gives what waits back to the pool. Holds the lock. */
    private void drop() {
        if (staged != null) {
            staged.clear(channel.loop.io());
        }
        if (spare != null) {
            spare.clear(channel.loop.io());
        }
    }

    /**
     * Records an abort, dropping what waits; returns whether the inbox must go on the
     * loop's list (false too if an abort was asked for already). Holds the lock.
     */
    private boolean abort(IOException cause) {
        if (shut || (requests & ABORT) != 0) {
            return false;
        }
        outputClosed = true;
        if (staged != null) {
            staged.clear(channel.loop.io());
        }
        abortCause = cause;
        return request(ABORT);
    }

    private void askReading(int request) {
        boolean schedule;
        synchronized (this) {
            if (shut) {
                return;
            }
            requests &= ~(PAUSE | RESUME);
            schedule = request(request);
        }
        scheduleOnLoop(schedule);
    }

    /** Records {@code request}; returns whether the inbox must go on the loop's list. Holds the lock. */
    private boolean request(int request) {
        requests |= request;
        return schedule();
    }

    /** Requests wait; returns whether the inbox must go on the loop's list. Holds the lock. */
    private boolean schedule() {
        pending = true;
        if (listed) {
            return false;
        }
        listed = true;
        return true;
    }

    private void scheduleOnLoop(boolean schedule) {
        if (schedule) {
            channel.loop.foreign().schedule(this);
        }
    }

}
