package org.epoll4j;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import org.epoll4j.epoll.ErrnoException;

/**
 * The kernel side of a {@link Connection}: its state, and what its socket's readiness
 * does. The application's side, the public API, is {@link Connection}, which changes
 * the state only through the methods here.
 *
 * <p>A connection is in one of four {@link State states}; each transition is one method:
 * {@link #established()} (a connect completes), {@link #requestClose()} (OPEN to
 * CLOSING, or straight to CLOSED), and {@link #closed} (to CLOSED, from anywhere, once).
 * What else is true of it is a named fact of its own: reading paused, end of input
 * seen, output shut down, output above the high-water mark, out of the epoll set.
 */
abstract sealed class StreamChannel extends Source permits Connection {
    /** The life of a connection. */
    enum State {
        /** Takes output and delivers input; may still be connecting (see {@code connected}). */
        OPEN,
        /** The application closed it: queued output goes out, input is dropped, then CLOSED. */
        CLOSING,
        /** The fd is released (after onClose has run); nothing more happens. */
        CLOSED
    }

    /* More reads for one event only when the peer has closed: to reach the EOF. */
    private static final int READS_AFTER_HANGUP = 16;

    final EventLoop loop;
    private final ConnectionHandler handler;
    private State state = State.OPEN;
    /** The connect has completed (at once, for an accepted connection). */
    private boolean connected;
    private boolean readPaused;
    private boolean inputEnded;
    /** The application shut output down: no more writes; FIN goes once the queue is empty. */
    private boolean outputShutdown;
    /** Queued output went above the high-water mark and has not come below the low one. */
    private boolean unwritable;
    /** Out of the epoll set: hung up while reading was paused, until reading resumes. */
    private boolean parked;
    private WriteQueue queue;
    private Limits limits = Limits.DEFAULTS;

    StreamChannel(EventLoop loop, ConnectionHandler handler, int fd, boolean connected) {
        super(fd, connected ? Interest.READ : Interest.WRITE);
        this.loop = loop;
        this.handler = handler;
        this.connected = connected;
    }

    /** This channel as the handler sees it. */
    abstract Connection self();

    // ------------------------------------------------------------ transitions

    /** The connect completed: CONNECTING (OPEN, not connected) becomes OPEN, or fails. */
    private void established() {
        int error = pendingErrno();
        if (error != 0) {
            closed(new ErrnoException("connect(fd=" + fd + ", " + self().connectingTo() + ")", error), false);
            return;
        }
        connected = true;
        if (outputShutdown && queue == null) {
            shutdownNow();
        }
        updateInterest();
        // Closed (or closing) while connecting: the application is done with it; no onOpen.
        if (state == State.OPEN) {
            opened();
        }
    }

    /** OPEN becomes CLOSING until queued output has gone out, or CLOSED at once if none is queued. */
    final void requestClose() {
        if (state != State.OPEN) {
            return;
        }
        if (queue == null) {
            if (connected) {
                discardInput();
            }
            closed(null, false);
            return;
        }
        state = State.CLOSING;
        queue.closeDeadline = loop.schedule(limits.closeTimeout, this::closeTimedOut);
        updateInterest();
    }

    /**
     * Any state becomes CLOSED, once: queued output is dropped (with a reset if
     * {@code reset}), the handler's onClose runs while the fd is still open (its
     * addresses can be read), then the fd is released.
     */
    final void closed(IOException cause, boolean reset) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        if (reset) {
            resetOnClose();
        }
        if (queue != null) {
            queue.clear(loop.io());
            queue = null;
        }
        // Closing the fd also removes it from the epoll set: it is never duplicated.
        loop.registry().remove(this);
        try {
            handler.onClose(self(), cause);
        } catch (RuntimeException | Error e) {
            handlerFailed("onClose", e);
        } finally {
            loop.io().sys.close(fd);
            fd = -1;
        }
    }

    // ------------------------------------------------------------ the application's requests

    /** Takes {@code src}'s remaining bytes, written or queued; false if output is closed or this failed. */
    final boolean accept(ByteBuffer src) {
        if (state != State.OPEN || outputShutdown) {
            return false;
        }
        int start = src.position();
        if (queue == null && connected && src.hasRemaining()) {
            try {
                src.position(start + (int) loop.io().write(fd, src));
            } catch (ErrnoException e) {
                closed(e, false);
                return false;
            }
        }
        if (!src.hasRemaining()) {
            return true;
        }
        long queued = queued() + src.remaining();
        if (queued > limits.outputLimit) {
            src.position(start);
            closed(new IOException("output limit exceeded: " + queued + " bytes would be queued, the limit is "
                    + limits.outputLimit + " (Connection.setOutputLimit)"), true);
            return false;
        }
        if (queue == null) {
            queue = new WriteQueue();
        }
        queue.append(src, loop.io());
        unwritable |= queue.size() > limits.highWaterMark;
        updateInterest();
        return state == State.OPEN;
    }

    final void requestShutdownOutput() {
        if (state == State.OPEN && !outputShutdown) {
            outputShutdown = true;
            if (queue == null && connected) {
                shutdownNow();
            }
        }
    }

    final void pause() {
        if (state == State.OPEN && !readPaused) {
            readPaused = true;
            updateInterest();
        }
    }

    final void resume() {
        if (state == State.OPEN && readPaused) {
            readPaused = false;
            if (parked) {
                unpark();
            } else {
                updateInterest();
            }
        }
    }

    final State state() {
        return state;
    }

    final boolean isReadPaused() {
        return readPaused;
    }

    final boolean isUnwritable() {
        return unwritable;
    }

    final long queued() {
        return queue == null ? 0 : queue.size();
    }

    final Limits limits() {
        return limits;
    }

    final void limits(Limits limits) {
        this.limits = limits;
    }

    // ------------------------------------------------------------ readiness

    @Override
    final void ready(int events) {
        if (!connected) {
            if (Interest.connectSettled(events)) {
                established(); // the outcome is known only once the socket is writable or failed
            }
            return;
        }
        if (Interest.writable(events) && queue != null) {
            flush();
        }
        if (state == State.CLOSED || !(Interest.readable(events) || Interest.closed(events))) {
            return;
        }
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

    @Override
    final void closeWithLoop() {
        closed(null, false);
    }

    /** Delivers {@code failure} of a connect that failed before it was registered. */
    final void failConnect(ErrnoException failure) {
        closed(failure, false);
    }

    final void opened() {
        try {
            handler.onOpen(self());
        } catch (RuntimeException | Error e) {
            handlerFailed("onOpen", e);
        }
    }

    private void read(boolean hangup) {
        IoContext io = loop.io();
        int reads = hangup ? READS_AFTER_HANGUP : 1;
        for (int i = 0; i < reads && (interest & Interest.READ) != 0 && state != State.CLOSED; i++) {
            int n;
            try {
                // Closing, input is read and dropped, so that close(2) sends no reset.
                n = state == State.CLOSING ? io.discard(fd) : io.read(fd);
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
            if (state == State.OPEN && !deliver(io, n)) {
                return;
            }
        }
    }

    /** Hands {@code n} bytes read to the handler; false if it threw. */
    private boolean deliver(IoContext io, int n) {
        try {
            handler.onData(self(), io.input.view(n));
            return true;
        } catch (RuntimeException | Error e) {
            handlerFailed("onData", e);
            return false;
        } finally {
            io.input.release();
        }
    }

    private void endOfInput() {
        inputEnded = true;
        updateInterest();
        if (state != State.OPEN) {
            return;
        }
        try {
            handler.onEndOfInput(self());
        } catch (RuntimeException | Error e) {
            handlerFailed("onEndOfInput", e);
        }
    }

    private void flush() {
        long before = queue.size();
        try {
            queue.flush(fd, loop.io());
        } catch (ErrnoException e) {
            closed(e, false);
            return;
        }
        long left = queue.size();
        if (left == before) {
            return;
        }
        if (left == 0) {
            queue.clear(loop.io());
            queue = null;
            if (state == State.CLOSING) {
                discardInput();
                closed(null, false);
                return;
            }
            if (outputShutdown) {
                shutdownNow();
            }
            updateInterest();
        }
        if (unwritable && left <= limits.lowWaterMark && state == State.OPEN) {
            unwritable = false;
            try {
                handler.onWritable(self());
            } catch (RuntimeException | Error e) {
                handlerFailed("onWritable", e);
            }
        }
    }

    private void closeTimedOut() {
        if (state == State.CLOSING) {
            closed(new SocketTimeoutException("close timed out after " + limits.closeTimeout + " with "
                    + queued() + " bytes unsent; the connection was reset"), true);
        }
    }

    // ------------------------------------------------------------ the fd

    /** The interest that the state and facts call for; the one place that decides it. */
    private int wantedInterest() {
        if (!connected) {
            return Interest.WRITE;
        }
        boolean reading = !inputEnded && (state == State.CLOSING || !readPaused);
        return (reading ? Interest.READ : 0) | (queue != null ? Interest.WRITE : 0);
    }

    private void updateInterest() {
        int wanted = wantedInterest();
        if (state == State.CLOSED || parked || wanted == interest) {
            return; // a parked fd gets its interest back in unpark
        }
        try {
            loop.registry().modify(this, wanted);
        } catch (ErrnoException e) {
            closed(e, false);
        }
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

    private void shutdownNow() {
        try {
            loop.io().sys.shutdownOutput(fd);
        } catch (ErrnoException e) {
            closed(e, false);
        }
    }

    /**
     * Reads and drops what the peer sent and nobody will read, before a graceful
     * close(2): closing a socket with unread input sends a reset, and the peer may then
     * lose the end of our output. Errors are ignored: the socket is closing anyway.
     */
    private void discardInput() {
        for (int i = 0; i < READS_AFTER_HANGUP; i++) {
            try {
                if (loop.io().discard(fd) <= 0) {
                    return;
                }
            } catch (ErrnoException e) {
                return;
            }
        }
    }

    private void resetOnClose() {
        try {
            loop.io().sys.setResetOnClose(fd);
        } catch (ErrnoException e) {
            // The socket is already dead; close(2) releases it all the same.
        }
    }

    /** A handler threw: the connection resets with the exception as the cause, unless it is closed. */
    private void handlerFailed(String method, Throwable e) {
        if (e instanceof VirtualMachineError error) {
            throw error;
        }
        if (state == State.CLOSED) {
            loop.report(e);
            return;
        }
        closed(new IOException(method + " threw " + e, e), true);
    }

    /** The socket's pending error (SO_ERROR) as the cause of a close; null if none. */
    private IOException pendingError() {
        int error = pendingErrno();
        return error == 0 ? null : new ErrnoException("getsockopt(fd=" + fd + ", SO_ERROR)", error);
    }

    private int pendingErrno() {
        try {
            return loop.io().sys.takeError(fd);
        } catch (ErrnoException e) {
            return e.errno();
        }
    }
}
