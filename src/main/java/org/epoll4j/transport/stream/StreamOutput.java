// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.HandlerFactory;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.IoContext;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.LoopEvents;

/**
 * The output side of a {@link Connection}: what {@code write} takes, the queue of what
 * the kernel has not taken yet, the water marks, the output limit, the FIN of
 * {@code shutdownOutput}, and the deadline of a graceful close. Its facts are its own
 * fields; the connection's state is {@link StreamChannel}'s.
 */
public abstract sealed class StreamOutput extends StreamInput permits StreamRequests {
    private static final VarHandle INBOX;

    static {
        try {
            INBOX = MethodHandles.lookup().findVarHandle(StreamOutput.class, "inbox", Inbox.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What other threads asked for; made on the first such request (see {@link Inbox}). */
    @SuppressWarnings("unused") // through INBOX
    private volatile Inbox inbox;
    /** Null while nothing is queued. */
    private WriteQueue queue;
    /** The queue of the last output, kept empty for the next: a batch of staged bytes allocates nothing. */
    private WriteQueue spareQueue;
    /** Bytes were staged ({@link #stage}) and wait in the queue for the end of the handler call. */
    private boolean staged;
    private boolean endOfTurnAsked;
    /** Queued output went above the high-water mark and has not come below the low one. */
    private boolean unwritable;
    /** The application shut output down: no more writes; FIN goes once the queue is empty. */
    private boolean outputShutdown;

    StreamOutput(Loop loop, ConnectionHandler handler, HandlerFactory handlers, int fd, boolean connected) {
        super(loop, handler, handlers, fd, connected);
    }

    /**
     * Makes this a TLS connection, with {@code engine}; before the connection opens. See
     * {@link TlsLayer}.
     */
    protected final void secure(SSLEngine engine, Duration handshakeTimeout, Executor delegatedTasks) {
        tls = new TlsLayer(this, engine, handshakeTimeout, delegatedTasks);
        keepCipher();
    }

    /** Takes {@code src}'s remaining bytes, written or queued; false if output is closed or this failed. */
    protected final boolean accept(ByteBuffer src) {
        if (state() != State.OPEN || outputClosed()) {
            return false;
        }
        int start = src.position();
        if (tls != null) {
            if (queue == null && tls.sendsNow() && src.hasRemaining()) {
                if (!tls.writeNow(src)) {
                    return false;
                }
                if (tls.hasCipher()) {
                    aboveHighWater(); // a batch waits for the kernel, counted by its plaintext
                }
            }
        } else if (queue == null && isConnected() && src.hasRemaining()) {
            try {
                IoContext io = loop.io();
                src.position(start + (int) io.sys.write(fd, io.bytesOf(src), src.remaining()));
            } catch (ErrnoException e) {
                closed(e, false);
                return false;
            }
            if (idle != null && src.position() > start) {
                idle.wrote(loop.now());
            }
        }
        if (!src.hasRemaining()) {
            return true;
        }
        if (!withinLimit(src.remaining())) {
            src.position(start);
            return false;
        }
        loop.counters().queued(src.remaining());
        queue().appendOnLoop(src, loop.io());
        queuedMore();
        return state() == State.OPEN;
    }

    /**
     * Takes the bytes other threads wrote, staged in {@code staged}, which is empty
     * afterwards: sent at once as far as the kernel takes them, the rest queued. They were
     * taken before any close of the loop thread's (see {@link #foreignFirst}), so output is
     * open for them unless the connection closed meanwhile, which drops them.
     */
    final void acceptStaged(WriteQueue staged) {
        IoContext io = loop.io();
        if (state() == State.CLOSED) {
            staged.clear(io);
            return;
        }
        if (tls != null && tls.outputDone()) {
            // Taken before TLS output was over (the inbox refuses them since): they cannot go.
            long unsent = staged.size();
            staged.clear(io);
            closed(new SSLException("TLS output is closed (close_notify was sent or received): " + unsent
                    + " bytes written by other threads were not sent"), false);
            return;
        }
        if (queue == null && isConnected() && tls == null) {
            try {
                if (staged.flush(fd, io) > 0 && idle != null) {
                    idle.wrote(loop.now());
                }
            } catch (ErrnoException e) {
                staged.clear(io);
                closed(e, false);
                return;
            }
            if (staged.size() == 0) {
                return;
            }
        }
        if (!withinLimit(staged.size())) {
            staged.clear(io);
            return;
        }
        loop.counters().queued(staged.size());
        staged.moveTo(queue(), io);
        if (tls != null && tls.sendsNow()) {
            flush(); // encrypted now, in a batch, as far as the kernel takes it
            if (state() == State.CLOSED) {
                return;
            }
        }
        queuedMore();
    }

    /** The exception that resets a connection whose output would reach {@code bytes}, above its {@code limit}. */
    static IOException limitExceeded(long bytes, long limit) {
        return new IOException("output limit exceeded: " + bytes + " bytes would be queued, the limit is " + limit
                + " (Connection.setOutputLimit)");
    }

    /** Whether {@code more} bytes may be queued; if not, the connection resets. */
    private boolean withinLimit(long more) {
        long queued = queued() + more;
        if (queued <= limits().outputLimit) {
            return true;
        }
        closed(limitExceeded(queued, limits().outputLimit), true);
        return false;
    }

    private WriteQueue queue() {
        if (queue == null) {
            queue = spareQueue != null ? spareQueue : new WriteQueue();
            spareQueue = null;
        }
        return queue;
    }

    /**
     * Takes {@code src}'s remaining bytes into the queue, to go out with the other bytes
     * staged in one writev when the handler call returns, or at the end of the turn; false
     * if output is closed or the output limit is reached (which resets). The fd's interest
     * is left alone: the bytes go before any wait.
     */
    protected final boolean stage0(ByteBuffer src) {
        if (state() != State.OPEN || outputClosed()) {
            return false;
        }
        int length = src.remaining();
        if (length == 0) {
            return true;
        }
        if (!withinLimit(length)) {
            return false;
        }
        loop.counters().queued(length);
        queue().appendOnLoop(src, loop.io());
        aboveHighWater();
        if (!staged) {
            staged = true;
            atEndOfTurn();
        }
        return true;
    }

    @Override
    final void sendStaged() {
        if (!staged) {
            return;
        }
        staged = false;
        if (queue == null || state() == State.CLOSED) {
            return;
        }
        if (isConnected()) {
            flush();
        }
        if (queue != null) {
            updateInterest(); // what the kernel did not take waits for EPOLLOUT (or the connect)
        }
    }

    @Override
    final void atEndOfTurn() {
        if (!endOfTurnAsked) {
            endOfTurnAsked = true;
            loop.dispatcher().flushAtEndOfTurn(this);
        }
    }

    @Override
    protected final void endOfTurn() {
        endOfTurnAsked = false;
        sendStaged();
        redeliverKept();
    }

    private void queuedMore() {
        aboveHighWater();
        updateInterest();
    }

    private void aboveHighWater() {
        if (!unwritable && queued() > limits().highWaterMark) {
            unwritable = true;
            if (LoopEvents.recording()) {
                StreamEvents.outputAboveHighWater(self(), queued(), limits().highWaterMark);
            }
        }
    }

    final void requestShutdownOutput() {
        if (state() == State.OPEN && !outputShutdown) {
            outputShutdown = true;
            if (queue == null && isConnected()) {
                shutdownNow();
            }
        }
    }

    /** Whether a write now would be taken and queued output is not above the high-water mark. */
    protected final boolean takesOutputNow() {
        return state() == State.OPEN && !outputClosed() && !unwritable;
    }

    /** Whether output is shut down, or, for TLS, over (close_notify made or received in TLS 1.2). */
    private boolean outputClosed() {
        return outputShutdown || (tls != null && tls.outputDone());
    }

    @Override
    protected final long queued() {
        long plain = queue == null ? 0 : queue.size();
        return tls == null ? plain : plain + tls.cipherPlain();
    }

    @Override
    final boolean hasQueuedOutput() {
        return queue != null || (tls != null && tls.hasCipher());
    }

    @Override
    final boolean wantsWritable() {
        return tls == null ? queue != null : tls.wantsWrite(queue != null);
    }

    /** Bytes went to the kernel: the write-idle timeout starts again. */
    final void wroteSome() {
        if (idle != null) {
            idle.wrote(loop.now());
        }
    }

    /**
     * The TLS handshake is done: the handler's onOpen runs, unless the application closed
     * meanwhile, then the output held back for the handshake goes (and a close asked for
     * meanwhile takes its course as it does).
     */
    final void tlsEstablished() {
        if (state() == State.OPEN) {
            handlerOpened();
        }
        if (state() == State.CLOSED) {
            return;
        }
        if (hasQueuedOutput()) {
            flush();
        } else if (outputShutdown) {
            shutdownNow();
        }
    }

    @Override
    final void connectedOutput() {
        if (outputShutdown && queue == null) {
            shutdownNow();
        }
    }

    @Override
    final void sendFin() {
        if (!outputShutdown) {
            outputShutdown = true;
            shutdownNow();
        }
    }

    /** The connection is closing for good: drops queued output, and refuses other threads' requests. */
    @Override
    final void dropOutput() {
        releaseQueue();
        Inbox foreign = (Inbox) INBOX.getAndSet(this, Inbox.CLOSED);
        if (foreign != null && foreign != Inbox.OUTPUT_CLOSED) {
            foreign.shut();
        }
    }

    /** Other threads' writes are refused from now on (TLS output is over). Loop thread. */
    final void foreignOutputClosed() {
        Inbox foreign = inbox;
        if (foreign == null && !INBOX.compareAndSet(this, null, Inbox.OUTPUT_CLOSED)) {
            inbox().closeOutput(); // another thread made one meanwhile
        } else if (foreign != null && foreign != Inbox.OUTPUT_CLOSED && foreign != Inbox.CLOSED) {
            foreign.closeOutput();
        }
    }

    /** This connection's inbox, made if need be. Any thread. */
    final Inbox inbox() {
        while (true) {
            Inbox foreign = inbox;
            if (foreign != null && foreign != Inbox.OUTPUT_CLOSED) {
                return foreign;
            }
            Inbox made = new Inbox(this, foreign == Inbox.OUTPUT_CLOSED);
            if (INBOX.compareAndSet(this, foreign, made)) {
                return made;
            }
        }
    }

    /**
     * Before a request of the loop thread's own: applies what other threads asked for
     * first, in the order it was asked; with {@code closesOutput} (a close or shutdown),
     * other threads' later writes are refused.
     */
    protected final void foreignFirst(boolean closesOutput) {
        // Output closes first: no write of another thread's is taken after it.
        if (closesOutput && state() != State.CLOSED) {
            Inbox foreign = inbox;
            if (foreign == null && !INBOX.compareAndSet(this, null, Inbox.OUTPUT_CLOSED)) {
                inbox().closeOutput(); // another thread made one meanwhile
            } else if (foreign != null && foreign != Inbox.OUTPUT_CLOSED) {
                foreign.closeOutput();
            }
        }
        Inbox foreign = inbox;
        if (foreign != null && foreign.hasWork()) {
            foreign.apply();
        }
    }

    private void releaseQueue() {
        if (queue != null) {
            loop.counters().queued(-queue.size());
            queue.clear(loop.io());
            spareQueue = queue;
            queue = null;
        }
    }

    /** The socket is writable: hands the kernel what it takes, and follows up on what went. */
    @Override
    final void flush() {
        long before = queued();
        if (tls != null) {
            if (!tls.flush(queue)) {
                return; // closed
            }
            if (queue != null && queue.size() == 0) {
                releaseQueue();
            }
        } else {
            try {
                queue.flush(fd, loop.io());
            } catch (ErrnoException e) {
                closed(e, false);
                return;
            }
        }
        long left = queued();
        if (tls != null && left == before && hasQueuedOutput()) {
            updateInterest(); // the handshake's records may have gone, and nothing else can yet
            return;
        }
        if (left == before && (tls == null || hasQueuedOutput())) {
            return;
        }
        if (idle != null) {
            idle.wrote(loop.now());
        }
        if (tls == null) {
            loop.counters().queued(left - before); // (a TLS connection's layer counts as it goes)
        }
        if (tls == null ? left == 0 : !hasQueuedOutput()) { // (a TLS connection's empty queue went above)
            releaseQueue();
            if (outputShutdown) {
                shutdownNow(); // the FIN asked for, now that what was written before it is out
            }
            if (state() == State.CLOSING) {
                finishClose();
                return;
            }
            updateInterest();
        } else if (tls != null) {
            updateInterest(); // what can go depends on the handshake as well
        }
        if (unwritable && left <= limits().lowWaterMark && state() == State.OPEN) {
            unwritable = false;
            LoopEvents.SlowHandler timing = LoopEvents.handlerBegins();
            try {
                handler.onWritable(self());
            } catch (RuntimeException | Error e) {
                handlerFailed("onWritable", e);
            } finally {
                LoopEvents.handlerEnds(timing, handler, "onWritable", this);
            }
            sendStaged();
        }
    }

    private void shutdownNow() {
        if (tls != null && tls.closeOutbound()) {
            return; // close_notify goes first: the FIN follows once it has (see flush), or the handshake
        }
        try {
            loop.io().sockets.shutdownOutput(fd);
        } catch (ErrnoException e) {
            closed(e, false);
        }
    }
}
