// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.HandlerFactory;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.Interest;
import org.epoll4j.loop.IoContext;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.LoopEvents;

/**
 * The input side of a {@link Connection}: reading and handing data to the handler,
 * pausing, the end of input, and input dropped while the connection closes. It also
 * decides the fd's interest, from its own facts and the others' (see
 * {@link StreamChannel}).
 */
abstract sealed class StreamInput extends StreamChannel permits StreamOutput {
    /* More reads for one event only when the peer has closed: to reach the EOF. */
    private static final int READS_AFTER_HANGUP = 16;

    private boolean readPaused;
    private boolean inputEnded;
    /** What the handler left unread, once it asked for it to be kept (see {@link UnreadInput}); else null. */
    private UnreadInput unread;
    /** Kept bytes wait to be handed back without a read: reading resumed after a pause that left them. */
    private boolean redeliver;
    /** The handler's data is the kept bytes' memory: closing meanwhile must not free it (it is freed after). */
    private boolean deliveringKept;
    /** The kept bytes were handed back without a read and the handler took none: only new input can help. */
    private boolean stalled;
    /** Out of the epoll set: hung up while reading was paused, until reading resumes. */
    private boolean parked;

    StreamInput(Loop loop, ConnectionHandler handler, HandlerFactory handlers, int fd, boolean connected) {
        super(loop, handler, handlers, fd, connected);
    }

    final void pause() {
        if (state() == State.OPEN && !readPaused) {
            readPaused = true;
            updateInterest();
        }
    }

    final void resume() {
        if (state() == State.OPEN && readPaused) {
            readPaused = false;
            if (parked) {
                unpark();
            } else {
                updateInterest();
            }
            boolean waiting = tls != null ? tls.hasKeptToRedeliver() || (unread != null && !unread.isEmpty())
                    : unread != null && !unread.isEmpty() && !stalled;
            if (waiting && !redeliver) {
                // What the handler left when it paused may be whole messages, and no more
                // input may come until they are answered: they are handed back this turn.
                redeliver = true;
                atEndOfTurn();
            }
        }
    }

    /** Hands back the bytes kept when reading resumed, if they are still to be, without a read. */
    final void redeliverKept() {
        if (redeliver) {
            redeliver = false;
            UnreadInput kept = unread;
            if (state() != State.OPEN || readPaused) {
                return;
            }
            if (tls != null) {
                tls.redeliverKept(); // the plaintext kept is older than the records kept
                if (state() != State.OPEN || readPaused) {
                    return;
                }
            }
            if (kept != null && !kept.isEmpty()) {
                deliverKept(kept, 0);
            }
        }
    }

    /**
     * Hands the TLS layer the records kept, without a read: a delegated task is done. Returns
     * whether there were any.
     */
    final boolean redeliverCipher() {
        UnreadInput kept = unread;
        if (!takesInput() || kept == null || kept.isEmpty()) {
            return false;
        }
        deliverKept(kept, 0);
        return true;
    }

    /** Whether input goes to the handler, or to TLS's handshake (see {@link TlsLayer#takesInput}), rather than dropped. */
    private boolean takesInput() {
        return tls == null ? state() == State.OPEN : tls.takesInput();
    }

    /** Keeps the records a read leaves, up to the TLS layer's limit: this is a TLS connection. */
    final void keepCipher() {
        unread = new UnreadInput(TlsLayer.CIPHER_KEPT_LIMIT);
    }

    protected final boolean isReadPaused() {
        return readPaused;
    }

    @Override
    final void input(int events) {
        if ((interest & Interest.READ) != 0) {
            read(Interest.closed(events));
        } else if (Interest.failed(events)) {
            closed(pendingError(), false);
        } else if (Interest.hungUp(events)) {
            // Not reading, and both directions are shut: EPOLLHUP would be reported on
            // every wait. Paused, the unread input is kept for resumeReading; else it ends.
            if (readPaused && !inputEnded) {
                park();
            } else {
                closed(pendingError(), false);
            }
        }
    }

    private void read(boolean hangup) {
        IoContext io = loop.io();
        int reads = hangup ? READS_AFTER_HANGUP : 1;
        for (int i = 0; i < reads && (interest & Interest.READ) != 0 && state() != State.CLOSED; i++) {
            UnreadInput kept = unread;
            if (kept != null && !kept.isEmpty() && takesInput()) {
                if (!readAfterKept(kept, io)) {
                    return;
                }
                continue;
            }
            int n;
            try {
                // Closing, input is read and dropped, so that close(2) sends no reset.
                n = takesInput() ? io.read(fd) : io.discard(fd);
            } catch (ErrnoException e) {
                closed(e, false);
                return;
            }
            if (n == 0) {
                return;
            }
            if (n < 0) {
                endOfInput();
                return;
            }
            if (!takesInput()) {
                continue; // closing: dropped
            }
            if (idle != null) {
                idle.read(loop.now());
            }
            ByteBuffer data = io.input.view(n);
            if (tls != null) {
                try {
                    tls.received(data);
                } finally {
                    io.input.release();
                }
                if (UnreadInput.unread(data, n) > 0 && !keepUnread(data, n, false)) {
                    return;
                }
                continue;
            }
            LoopEvents.SlowHandler timing = LoopEvents.handlerBegins();
            try {
                handler.onData(self(), data);
            } catch (RuntimeException | Error e) {
                handlerFailed("onData", e);
                return;
            } finally {
                io.input.release();
                LoopEvents.handlerEnds(timing, handler, "onData", this);
            }
            sendStaged();
            if (unread != null && UnreadInput.unread(data, n) > 0) {
                keepUnread(data, n, false);
            }
        }
    }

    /**
     * Reads after the bytes kept, into the connection's own memory, and hands the handler
     * both; returns whether to read on. (A read with nothing kept lands in the loop's read
     * buffer and copies nothing: {@link #read}.)
     */
    private boolean readAfterKept(UnreadInput kept, IoContext io) {
        if (kept.isFull()) {
            // The handler took nothing of a full limit's bytes: the message is longer than the limit.
            closed(unreadLimitExceeded(kept.size(), kept.limit()), true);
            return false;
        }
        int n;
        try {
            n = kept.read(fd, io);
        } catch (ErrnoException e) {
            closed(e, false);
            return false;
        }
        if (n == 0) {
            return false;
        }
        if (n < 0) {
            endOfInput(); // a message cut short: the kept start of it is dropped with the connection
            return false;
        }
        if (idle != null) {
            idle.read(loop.now());
        }
        stalled = false;
        return deliverKept(kept, n);
    }

    /** Hands the handler the bytes kept and the {@code n} read after them; returns whether it may be called again. */
    private boolean deliverKept(UnreadInput kept, int n) {
        int length = kept.size() + n;
        ByteBuffer data = kept.view(n);
        deliveringKept = true;
        if (tls != null) {
            try {
                tls.received(data);
            } finally {
                deliveringKept = false;
                if (state() == State.CLOSED) {
                    dropUnread();
                }
            }
            stalled = n == 0 && UnreadInput.unread(data, length) == length;
            return keepUnread(data, length, true);
        }
        LoopEvents.SlowHandler timing = LoopEvents.handlerBegins();
        try {
            handler.onData(self(), data);
        } catch (RuntimeException | Error e) {
            handlerFailed("onData", e);
            return false;
        } finally {
            deliveringKept = false;
            LoopEvents.handlerEnds(timing, handler, "onData", this);
            if (state() == State.CLOSED) {
                dropUnread(); // closed during the call: the memory goes now that the handler is done with it
            }
        }
        sendStaged();
        // Handed back without a read, and none taken: handing them back again on the next
        // resume would only spin (a handler that pauses and resumes in each call).
        stalled = n == 0 && UnreadInput.unread(data, length) == length;
        return keepUnread(data, length, true);
    }

    /**
     * The handler returned from {@code data}, which held {@code length} bytes, the kept ones
     * first if {@code fromKept}: keeps what it left (see {@link UnreadInput}), within the
     * limit, or resets the connection. Returns whether the connection reads on.
     */
    private boolean keepUnread(ByteBuffer data, int length, boolean fromKept) {
        UnreadInput kept = unread;
        if (!takesInput() || kept == null) {
            return false; // closed or closing meanwhile (its memory goes with it), or no longer keeping
        }
        int left = UnreadInput.unread(data, length);
        if (kept.limit() == 0) {
            kept.free(loop.io()); // the handler stopped keeping unread bytes: these are dropped
            unread = null;
            return true;
        }
        if (left > kept.limit()) {
            closed(unreadLimitExceeded(left, kept.limit()), true);
            return false;
        }
        if (fromKept) {
            kept.consumed(data, length, loop.io());
        } else {
            kept.keep(data, length, loop.io());
        }
        return true;
    }

    /** The exception that resets a connection whose handler left {@code bytes} unread, above its {@code limit}. */
    static IOException unreadLimitExceeded(int bytes, int limit) {
        return new IOException("unread input limit exceeded: onData left " + bytes + " bytes unread, the limit is "
                + limit + " (Connection.keepUnread)");
    }

    /** See {@link Connection#keepUnread}: from the end of the handler call under way, if any. */
    protected final void unreadLimit(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("the most unread bytes kept must not be negative: " + bytes);
        }
        if (tls != null) {
            tls.keepUnread(bytes); // of the plaintext: this layer keeps records
            return;
        }
        if (unread != null) {
            unread.limit(bytes);
            if (bytes == 0 && !deliveringKept) {
                dropUnread(); // what is kept is dropped now (while it is data, once the call returns)
            }
        } else if (bytes > 0) {
            unread = new UnreadInput(bytes);
        }
    }

    /** Bytes kept unread, to be handed back ahead of the next. */
    protected final int unreadBytes0() {
        if (tls != null) {
            return tls.keptBytes();
        }
        return unread == null ? 0 : unread.size();
    }

    /**
     * Frees the memory of the unread bytes kept: the connection is closed, or keeps no more.
     * Not while the handler's data is that memory: {@link #deliverKept} frees it after.
     */
    final void dropUnread() {
        if (unread != null && !deliveringKept) {
            unread.free(loop.io());
            unread = null;
        }
    }

    /**
     * The peer has ended its output. The fd stops being read only after the handler has
     * run: most handlers close here, and closing the fd takes it out of the epoll set with
     * no epoll_ctl. No wait comes in between, and what the handler does meanwhile already
     * counts the input as ended.
     */
    private void endOfInput() {
        inputEnded = true;
        if (state() == State.CLOSING && !hasQueuedOutput()) {
            closed(null, false); // a lingering close: the peer has finished too
            return;
        }
        if (tls != null && takesInput() && !tls.inboundDone()) {
            closed(tls.truncated(), false); // (before the handshake is done, closing or not: it cannot be)
            return;
        }
        if (tls != null && tls.inboundDone()) {
            // The handler heard of the end at the close_notify, or does once the plaintext
            // kept before it is handed over (TlsLayer): the stream's end says nothing new.
            updateInterest();
            return;
        }
        inputEndedNow();
    }

    /** The peer's close_notify came: the end of input, for a TLS connection. */
    final void tlsEndOfInput() {
        inputEnded = true;
        inputEndedNow();
    }

    /** Tells the handler of the end of input, and stops reading. */
    private void inputEndedNow() {
        try {
            if (state() == State.OPEN) {
                LoopEvents.SlowHandler timing = LoopEvents.handlerBegins();
                try {
                    handler.onEndOfInput(self());
                } catch (RuntimeException | Error e) {
                    handlerFailed("onEndOfInput", e);
                } finally {
                    LoopEvents.handlerEnds(timing, handler, "onEndOfInput", this);
                }
                sendStaged();
            }
        } finally {
            // Even as a VirtualMachineError ends run(): a run() after it must not read the end again.
            updateInterest();
        }
    }

    /**
     * Reads and drops what the peer sent and nobody will read, as far as a few reads go;
     * returns whether its end of stream is still to come. An error (a reset) closes the
     * connection, with it as the cause.
     */
    @Override
    final boolean discardInput() {
        for (int i = 0; i < READS_AFTER_HANGUP && !inputEnded; i++) {
            int n;
            try {
                n = loop.io().discard(fd);
            } catch (ErrnoException e) {
                closed(e, false);
                return false;
            }
            if (n < 0) {
                inputEnded = true;
            } else if (n == 0) {
                break;
            }
        }
        return !inputEnded;
    }

    /** The one place that decides what the fd is registered for. */
    @Override
    final void updateInterest() {
        int wanted = wantedInterest();
        if (parked && state() == State.CLOSING) {
            unpark(); // a lingering close reads to the end of stream, paused or not
            return;
        }
        if (state() == State.CLOSED || parked || wanted == interest) {
            return; // a parked fd gets its interest back in unpark
        }
        try {
            loop.registry().modify(this, wanted);
        } catch (ErrnoException e) {
            closed(e, false);
        }
    }

    private int wantedInterest() {
        if (!isConnected()) {
            return Interest.WRITE;
        }
        boolean reading = !inputEnded && (state() == State.CLOSING || !readPaused) && (tls == null || tls.readsNow());
        return (reading ? Interest.READ : 0) | (wantsWritable() ? Interest.WRITE : 0);
    }

    /** Takes the fd out of the epoll set; {@link #unpark()} puts it back. */
    private void park() {
        try {
            loop.registry().park(this);
            parked = true;
        } catch (ErrnoException e) {
            closed(e, false);
        }
    }

    private void unpark() {
        parked = false;
        try {
            loop.registry().unpark(this, wantedInterest());
        } catch (ErrnoException e) {
            closed(e, false);
        }
    }
}
