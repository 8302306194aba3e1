package org.epoll4j;

import java.io.IOException;
import org.epoll4j.epoll.ErrnoException;

/**
 * The life of a {@link Connection}, and what its socket's readiness does. A connection
 * is four layers of one object (no object more per connection), each owning its fields
 * and reaching the others through methods: this one, its input ({@link StreamInput}),
 * its output ({@link StreamOutput}), and the public API ({@link Connection}).
 *
 * <p>A connection is in one of three {@link State states}; each transition is one
 * method: {@link #requestClose()} (OPEN to CLOSING, or at once to CLOSED),
 * {@link #finishClose()} (CLOSING to CLOSED once the output has gone) and
 * {@link #closed} (to CLOSED from anywhere, once). Whether its connect has completed is
 * a named fact.
 */
abstract sealed class StreamChannel extends Source permits StreamInput {
    /** The life of a connection. */
    enum State {
        /** Takes output and delivers input; may still be connecting. */
        OPEN,
        /** The application closed it: queued output goes out, input is dropped, then CLOSED. */
        CLOSING,
        /** The fd is released (after onClose has run); nothing more happens. */
        CLOSED
    }

    final EventLoop loop;
    final ConnectionHandler handler;
    private State state = State.OPEN;
    /** The connect has completed (at once, for an accepted connection). */
    private boolean connected;

    StreamChannel(EventLoop loop, ConnectionHandler handler, int fd, boolean connected) {
        super(fd, connected ? Interest.READ : Interest.WRITE);
        this.loop = loop;
        this.handler = handler;
        this.connected = connected;
    }

    /** This channel as the handler sees it. */
    abstract Connection self();

    /** Whether output is queued. */
    abstract boolean hasQueuedOutput();

    /** The socket is writable and output is queued. */
    abstract void flush();

    /** The connect completed: output held back for it may go. */
    abstract void connectedOutput();

    /** The connection became CLOSING. */
    abstract void closing();

    /** Drops queued output: the connection is closing for good. */
    abstract void dropOutput();

    /** Handles the input side of ready {@code events}: data, end of input, hang-up, error. */
    abstract void input(int events);

    /** Reads and drops unread input before a graceful close. */
    abstract void discardInput();

    /** Registers the fd for what the state and facts call for. */
    abstract void updateInterest();

    // ------------------------------------------------------------ transitions

    /** OPEN becomes CLOSING until queued output has gone out, or CLOSED at once if none is queued. */
    final void requestClose() {
        if (state != State.OPEN) {
            return;
        }
        if (!hasQueuedOutput()) {
            finishClose();
            return;
        }
        state = State.CLOSING;
        closing();
        updateInterest();
    }

    /** Closes gracefully now that no output is queued: drops unread input first, so that close(2) sends no reset. */
    final void finishClose() {
        if (connected) {
            discardInput();
        }
        closed(null, false);
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
            try {
                loop.io().sys.setResetOnClose(fd);
            } catch (ErrnoException e) {
                // The socket is already dead; close(2) releases it all the same.
            }
        }
        dropOutput();
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

    /** A connect completed, or failed. Closed (or closing) meanwhile, the application is done with it: no onOpen. */
    private void established() {
        int error = pendingErrno();
        if (error != 0) {
            closed(new ErrnoException("connect(fd=" + fd + ", " + self().connectingTo() + ")", error), false);
            return;
        }
        connected = true;
        connectedOutput();
        updateInterest();
        if (state == State.OPEN) {
            opened();
        }
    }

    // ------------------------------------------------------------ requests and facts

    final State state() {
        return state;
    }

    final boolean isConnected() {
        return connected;
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
        if (Interest.writable(events) && hasQueuedOutput()) {
            flush();
        }
        if (state != State.CLOSED && (Interest.readable(events) || Interest.closed(events))) {
            input(events);
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

    // ------------------------------------------------------------ failures

    /** A handler threw: the connection resets with the exception as the cause, unless it is closed. */
    final void handlerFailed(String method, Throwable e) {
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
    final IOException pendingError() {
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
