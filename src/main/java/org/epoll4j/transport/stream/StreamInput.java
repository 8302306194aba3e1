// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
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
    /** Out of the epoll set: hung up while reading was paused, until reading resumes. */
    private boolean parked;

    StreamInput(Loop loop, ConnectionHandler handler, int fd, boolean connected) {
        super(loop, handler, fd, connected);
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
        }
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
            int n;
            try {
                // Closing, input is read and dropped, so that close(2) sends no reset.
                n = state() == State.CLOSING ? io.discard(fd) : io.read(fd);
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
            if (state() != State.OPEN) {
                continue; // closing: dropped
            }
            LoopEvents.SlowHandler timing = LoopEvents.handlerBegins();
            try {
                handler.onData(self(), io.input.view(n));
            } catch (RuntimeException | Error e) {
                handlerFailed("onData", e);
                return;
            } finally {
                io.input.release();
                LoopEvents.handlerEnds(timing, handler, "onData", this);
            }
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
            }
        } finally {
            // Even as a VirtualMachineError ends run(): a run() after it must not read the end again.
            updateInterest();
        }
    }

    /**
     * Reads and drops what the peer sent and nobody will read, as far as a few reads go;
     * returns whether its end of stream is still to come. An error ends the input: the
     * socket is dead, and close(2) has nothing left to reset.
     */
    @Override
    final boolean discardInput() {
        for (int i = 0; i < READS_AFTER_HANGUP && !inputEnded; i++) {
            int n;
            try {
                n = loop.io().discard(fd);
            } catch (ErrnoException e) {
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
        boolean reading = !inputEnded && (state() == State.CLOSING || !readPaused);
        return (reading ? Interest.READ : 0) | (hasQueuedOutput() ? Interest.WRITE : 0);
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
