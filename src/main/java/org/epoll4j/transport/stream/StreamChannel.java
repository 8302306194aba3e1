// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import javax.net.ssl.SSLSession;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.HandlerFactory;
import org.epoll4j.Idle;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.Interest;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.LoopEvents;
import org.epoll4j.loop.TimerEntry;

/**
 * The life of a {@link Connection}, and what its socket's readiness does. A connection
 * is six layers of one object (no object more per connection), each owning its fields
 * and reaching the others through methods: its socket ({@link StreamSocket}), this one,
 * its input ({@link StreamInput}), its output ({@link StreamOutput}), the requests any
 * thread may make ({@link StreamRequests}), and the public API ({@link Connection}).
 *
 * <p>A connection is in one of three {@link State states}; each transition is one
 * method: {@link #requestClose()} (OPEN to CLOSING, or at once to CLOSED),
 * {@link #finishClose()} (CLOSING to CLOSED once the output has gone) and
 * {@link #closed} (to CLOSED from anywhere, once). Whether its connect has completed is
 * a named fact.
 */
abstract sealed class StreamChannel extends StreamSocket permits StreamInput {
    /** The life of a connection. */
    enum State {
        /** Takes output and delivers input; may still be connecting. */
        OPEN,
        /** The application closed it: queued output goes out, input is dropped, then CLOSED. */
        CLOSING,
        /** The fd is released (after onClose has run); nothing more happens. */
        CLOSED
    }

    /** The handler; until the connection opens, a placeholder if {@code handlers} is to make it. */
    ConnectionHandler handler;
    /** Makes the handler as the connection opens, then null; null if it was given. */
    private HandlerFactory handlers;
    private State state = State.OPEN;
    /** The connect has completed (at once, for an accepted connection). */
    private boolean connected;
    /** While CLOSING: the timer that resets the connection if it does not close in time. */
    private TimerEntry closeDeadline;
    /** Its idle timeouts, once one is set (see {@link IdleWatch}); else null. */
    IdleWatch idle;
    /** Its TLS, if it speaks TLS (see {@link TlsLayer}); else null. */
    TlsLayer tls;

    StreamChannel(Loop loop, ConnectionHandler handler, HandlerFactory handlers, int fd, boolean connected) {
        super(loop, fd, connected ? Interest.READ : Interest.WRITE);
        this.handler = handlers == null ? handler : NOT_YET;
        this.handlers = handlers;
        this.connected = connected;
    }

    /** The handler of a connection whose HandlerFactory has not made (or failed to make) one: does nothing. */
    private static final ConnectionHandler NOT_YET = (connection, data) -> { };

    /** This channel as the handler sees it. */
    protected abstract Connection self();

    @Override
    protected final boolean isConnection() {
        return true;
    }

    /** Whether output is queued. */
    abstract boolean hasQueuedOutput();

    /** Whether the socket's writability matters: output is queued that can go. */
    abstract boolean wantsWritable();

    /** Bytes of output queued. */
    abstract long queued();

    /** Sends FIN now, if it has not gone yet: the connection lingers, and only reads. */
    abstract void sendFin();

    /** The socket is writable and output is queued. */
    abstract void flush();

    /** The connect completed: output held back for it may go. */
    abstract void connectedOutput();

    /** Drops queued output: the connection is closing for good. */
    abstract void dropOutput();

    /** Frees the unread input kept: the connection is closing for good. */
    abstract void dropUnread();

    /** Has {@link #endOfTurn()} run at the end of this turn, once however often asked. */
    abstract void atEndOfTurn();

    /** Sends the output staged during the handler call that just returned, if any. */
    abstract void sendStaged();

    /** Handles the input side of ready {@code events}: data, end of input, hang-up, error. */
    abstract void input(int events);

    /**
     * Reads and drops the input that has come and nobody will read, before a graceful
     * close; returns whether the peer's end of stream is still to come.
     */
    abstract boolean discardInput();

    /** Registers the fd for what the state and facts call for. */
    abstract void updateInterest();

    // ------------------------------------------------------------ transitions

    /**
     * OPEN becomes CLOSING until queued output has gone out, or CLOSED at once if none is
     * queued. Before a TLS handshake is done, CLOSING waits for it too, if something was
     * written before the close; if nothing was, there is no handshake to finish (see
     * {@link TlsLayer#abandon}).
     */
    final void requestClose() {
        if (state != State.OPEN) {
            return;
        }
        if (tls != null && !tls.isEstablished()) {
            if (queued() > 0) {
                startClosing(); // the handshake goes on, for what was written before the close
            } else {
                tls.abandon(); // nothing to send: no handshake to finish
                finishClose();
            }
            return;
        }
        if (hasQueuedOutput()) {
            startClosing();
        } else {
            finishClose();
        }
    }

    /**
     * Closes, now that no output is queued, without a reset: close(2) resets a socket that
     * has unread input, or that receives any later, and a reset makes the peer drop what
     * it has not read yet, the end of the output. So unless the peer has ended its output
     * already, the connection lingers: FIN goes out, and the input is read and dropped
     * until the peer's end of stream, whatever it sends meanwhile (or the close timeout,
     * which resets it). The kernel having taken the output says nothing of the peer having
     * read it; only the peer's end of stream, which comes after it read ours, does.
     */
    final void finishClose() {
        if (state == State.CLOSED) {
            return;
        }
        if (tls != null && tls.isEstablished() && connected) {
            sendFin(); // close_notify first, whatever the peer did: the FIN follows it (see StreamOutput.flush)
            if (state == State.CLOSED) {
                return;
            }
            if (hasQueuedOutput()) {
                if (state == State.OPEN) {
                    startClosing();
                } else {
                    updateInterest();
                }
                return; // back here once it has gone
            }
        }
        if (!connected || !discardInput()) {
            closed(null, false); // unless a reset found by the discard closed it already, with that cause
            return;
        }
        sendFin();
        if (state == State.OPEN) {
            startClosing();
        } else if (state == State.CLOSING) {
            updateInterest();
        }
    }

    /** OPEN becomes CLOSING, for at most the close timeout. */
    private void startClosing() {
        state = State.CLOSING;
        // Not through EventLoop.schedule: a close must work while the loop itself closes.
        closeDeadline = new TimerEntry(loop, limits().closeTimeout, this::closeTimedOut);
        loop.timers().insert(closeDeadline);
        updateInterest();
    }

    private void closeTimedOut() {
        if (state == State.CLOSING) {
            long unsent = queued();
            String what = unsent > 0 ? " with " + unsent + " bytes unsent" : " before the peer ended its output";
            closed(new SocketTimeoutException("close timed out after " + limits().closeTimeout + what
                    + "; the connection was reset"), true);
        }
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
                loop.io().sockets.setResetOnClose(fd);
            } catch (ErrnoException e) {
                // The socket is already dead; close(2) releases it all the same.
            }
        }
        dropOutput();
        dropUnread();
        if (tls != null) {
            tls.release();
        }
        if (closeDeadline != null) {
            closeDeadline.cancel();
            closeDeadline = null;
        }
        if (idle != null) {
            idle.stop();
        }
        // Closing the fd also removes it from the epoll set: it is never duplicated.
        loop.registry().remove(this);
        if (LoopEvents.recording()) {
            StreamEvents.connectionClosed(self(), cause, reset);
        }
        loop.holdRelease(); // a loop.close() in onClose must not free what closing the fd needs
        try {
            LoopEvents.SlowHandler timing = LoopEvents.handlerBegins();
            try {
                handler.onClose(self(), cause);
            } catch (RuntimeException | Error e) {
                handlerFailed("onClose", e);
            } finally {
                LoopEvents.handlerEnds(timing, handler, "onClose", this);
            }
        } finally {
            // Whatever the events threw (out of memory making one): the hold must end.
            try {
                loop.io().sys.close(fd);
            } finally {
                fd = -1;
                loop.endHold();
            }
        }
    }

    /** A connect completed, or failed. Closed (or closing) meanwhile, the application is done with it: no onOpen. */
    private void established() {
        int error = pendingErrno();
        if (error != 0) {
            closed(new ErrnoException("connect(fd=" + fd + ", " + peer() + ")", error), false);
            return;
        }
        connected = true;
        connectedOutput();
        updateInterest();
        if (state == State.OPEN) {
            opened();
        } else if (state == State.CLOSING && tls != null) {
            tls.start(); // closed while connecting: what was written before goes once the handshake is done
        }
    }

    // ------------------------------------------------------------ requests and facts

    final State state() {
        return state;
    }

    final boolean isConnected() {
        return connected;
    }

    final boolean isClosedNow() {
        return state == State.CLOSED;
    }

    /** See {@link Connection#setIdleTimeout}. */
    protected final void idleTimeout(Idle kind, Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("an idle timeout must not be negative: " + timeout);
        }
        if (state == State.CLOSED) {
            return;
        }
        if (idle == null) {
            if (timeout.isZero()) {
                return;
            }
            idle = new IdleWatch(this, loop);
        }
        idle.timeout(kind, timeout);
    }

    /** An idle timeout of {@code kind} passed: the handler is told. */
    final void idle(Idle kind) {
        LoopEvents.SlowHandler timing = LoopEvents.handlerBegins();
        try {
            handler.onIdle(self(), kind);
        } catch (RuntimeException | Error e) {
            handlerFailed("onIdle", e);
        } finally {
            LoopEvents.handlerEnds(timing, handler, "onIdle", this);
        }
        sendStaged();
    }


    // ------------------------------------------------------------ for the API's Connection

    /** See {@link Connection#tlsSession}. */
    protected final SSLSession establishedSession() {
        return tls == null || !tls.isEstablished() ? null : tls.session();
    }

    /** See {@link Connection#applicationProtocol}. */
    protected final String chosenProtocol() {
        return tls == null ? null : tls.applicationProtocol();
    }

    /** Whether the connection is neither closed nor closing. */
    protected final boolean isOpenNow() {
        return state == State.OPEN;
    }

    // ------------------------------------------------------------ readiness

    @Override
    protected final void ready(int events) {
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
    protected final void closeWithLoop() {
        if (state == State.CLOSING) {
            // Its output or the peer's end of stream did not come in time: the peer gets a
            // reset, and the handler is told, as at the close timeout.
            long unsent = queued();
            closed(new IOException("the loop closed before the close completed"
                    + (unsent > 0 ? ", with " + unsent + " bytes unsent" : ", before the peer ended its output")
                    + "; the connection was reset"), true);
        } else {
            closed(null, false);
        }
    }

    /** Delivers {@code failure} of a connect that failed before it was registered. */
    final void failConnect(ErrnoException failure) {
        closed(failure, false);
    }

    final void opened() {
        if (handlers != null && (!handlerMade() || state != State.OPEN)) {
            return; // the factory failed, or closed the connection: the application is done with it
        }
        if (tls != null && !tls.isEstablished()) {
            tls.start(); // onOpen once the handshake is done
            return;
        }
        handlerOpened();
    }

    /** Runs the handler's onOpen: the connection is open, and its TLS handshake, if any, done. */
    final void handlerOpened() {
        if (LoopEvents.recording()) {
            StreamEvents.connectionOpened(self());
        }
        LoopEvents.SlowHandler timing = LoopEvents.handlerBegins();
        try {
            handler.onOpen(self());
        } catch (RuntimeException | Error e) {
            handlerFailed("onOpen", e);
        } finally {
            LoopEvents.handlerEnds(timing, handler, "onOpen", this);
        }
        sendStaged();
    }

    /** Has the factory make the handler; if it cannot, the connection resets (onClose goes to no handler). */
    private boolean handlerMade() {
        HandlerFactory factory = handlers;
        handlers = null;
        ConnectionHandler made;
        try {
            made = factory.newHandler(self());
            if (made == null) {
                throw new NullPointerException(factory + " made a null ConnectionHandler");
            }
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError error) {
                throw error;
            }
            try {
                closed(new IOException("the HandlerFactory threw " + e, e), true);
            } finally {
                loop.report("the HandlerFactory of " + self() + ", which was reset", e);
            }
            return false;
        }
        handler = made;
        return true;
    }

    // ------------------------------------------------------------ failures

    /** A handler threw: the connection resets with the exception as the cause, unless it is closed. */
    final void handlerFailed(String method, Throwable e) {
        if (e instanceof VirtualMachineError error) {
            throw error;
        }
        if (state == State.CLOSED) {
            loop.report(method + " of " + self(), e);
            return;
        }
        String where = method + " of " + self() + ", which was reset";
        try {
            closed(new IOException(method + " threw " + e, e), true);
        } finally {
            loop.report(where, e); // as ErrorHandler says: once the connection is reset and its onClose ran
        }
    }
}
