// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;
import org.epoll4j.Connection;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.IoContext;
import org.epoll4j.loop.LoopEvents;
import org.epoll4j.loop.TimerEntry;
import org.epoll4j.loop.TlsBuffers;

/**
 * TLS between a {@link Connection}'s socket and its handler: an {@link SSLEngine} that the
 * connection's input feeds with the records it reads, and that its output asks for the
 * records of what the application wrote. One per TLS connection, owned by it; loop
 * thread, but for the engine's delegated tasks, which run on an executor while the
 * connection neither reads nor encrypts.
 *
 * <p>Input: a read's records are decrypted into the loop's memory and handed to the
 * handler in one call; the start of a record not whole yet stays with the connection's
 * unread input, in ciphertext, and the plaintext the handler leaves (see
 * {@link Connection#keepUnread}) is kept here, in memory of the connection's own that
 * exists only while bytes are kept.
 *
 * <p>Output: the connection's queue holds plaintext. It is encrypted a batch at a time,
 * when the socket is writable, and only what the kernel did not take of a batch waits
 * here in ciphertext, counted as queued by the plaintext it holds, so that the water
 * marks and the output limit count what the application wrote.
 */
final class TlsLayer {
    /** What a wrap that sends no application data (a handshake message, an alert, close_notify) reads. */
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0).asReadOnlyBuffer();

    private final StreamOutput channel;
    private final SSLEngine engine;
    private final Duration handshakeTimeout;
    private final Executor tasks;
    private TimerEntry handshakeDeadline;
    /** The handshake is done: application data flows, and onOpen has run (or the application closed first). */
    private boolean established;
    /** A delegated task runs on the executor: the engine is not touched here meanwhile. */
    private boolean taskRunning;
    /** Closed before the handshake was done with nothing written: no TLS to finish, the engine is left alone. */
    private boolean abandoned;
    /** The peer's close_notify came: what follows it is dropped. */
    private boolean inboundDone;
    /** The peer's close_notify came after plaintext kept unseen: the end of input follows its hand-over. */
    private boolean endAfterKept;
    /** close_notify is made (or the engine closed its output): no more application data. */
    private boolean outboundDone;

    /** Records the kernel did not take yet; null while none. */
    private WriteQueue cipher;
    /** The last {@code cipher}, kept empty for the next: backpressure allocates no queue each time. */
    private WriteQueue spareCipher;
    /** The plaintext that the records in {@code cipher} hold: counted as queued until they have gone. */
    private long cipherPlain;

    /** The most plaintext bytes kept unread for the handler (Connection.keepUnread); 0 drops what it leaves. */
    private int keptLimit;
    /** Plaintext kept, from 0: left by the handler, or decrypted while reading was paused. */
    private MemorySegment kept;
    private ByteBuffer keptView;
    private int keptSize;
    /** Some of the kept plaintext came while reading was paused: the handler has not seen it yet. */
    private boolean keptUnseen;
    /** The handler's data is {@code kept}: a close meanwhile must not free it. */
    private boolean deliveringKept;
    /** The kept bytes were handed back without new ones and the handler took none: only new input helps. */
    private boolean stalled;

    TlsLayer(StreamOutput channel, SSLEngine engine, Duration handshakeTimeout, Executor tasks) {
        this.channel = channel;
        this.engine = engine;
        this.handshakeTimeout = handshakeTimeout;
        this.tasks = tasks;
    }

    /**
     * The most ciphertext kept unread between reads: a record's start, or the rest of a
     * read that a delegated task holds up (a client may send data right after its
     * certificate, which the server checks in a task).
     */
    static final int CIPHER_KEPT_LIMIT = TlsBuffers.READ_SIZE + TlsBuffers.MAX_PACKET;

    // ------------------------------------------------------------ facts

    boolean isEstablished() {
        return established;
    }

    /** Whether the connection reads: not while a delegated task runs. */
    boolean readsNow() {
        return !taskRunning;
    }

    /** Whether the socket's writability matters: records wait, or plaintext waits and can be encrypted. */
    boolean wantsWrite(boolean plainQueued) {
        return cipher != null || (plainQueued && established && !taskRunning);
    }

    boolean hasCipher() {
        return cipher != null;
    }

    /** Plaintext bytes whose records wait for the kernel. */
    long cipherPlain() {
        return cipherPlain;
    }

    /** Whether a write may be encrypted and sent at once, with nothing queued before it. */
    boolean sendsNow() {
        return established && cipher == null && !outboundDone;
    }

    /** Whether TLS output is over (close_notify made, or the engine closed it): no write is taken. */
    boolean outputDone() {
        return outboundDone;
    }

    /**
     * Whether the connection's input goes to the engine: while it is open, and while it
     * closes before its handshake is done (what was written before the close waits for it).
     */
    boolean takesInput() {
        StreamChannel.State state = channel.state();
        return !abandoned
                && (state == StreamChannel.State.OPEN || (state == StreamChannel.State.CLOSING && !established));
    }

    /** Whether the peer's close_notify came and its end of input waits for kept plaintext to be handed over. */
    boolean endsAfterKept() {
        return endAfterKept;
    }

    /**
     * The application closes before the handshake is done, with nothing written: there is
     * nothing to send, so no handshake to finish. The engine is fed no more, the records it
     * made for the handshake are dropped, and the FIN may go at once (the peer's handshake
     * fails on it).
     */
    void abandon() {
        abandoned = true;
        dropOutputAndDeadline();
    }

    /** Whether the peer's close_notify came. */
    boolean inboundDone() {
        return inboundDone;
    }

    SSLSession session() {
        return established ? engine.getSession() : engine.getHandshakeSession();
    }

    String applicationProtocol() {
        return established ? emptyToNull(engine.getApplicationProtocol()) : null;
    }

    private static String emptyToNull(String protocol) {
        return protocol == null || protocol.isEmpty() ? null : protocol;
    }

    // ------------------------------------------------------------ the handshake

    /** The connection is open (accepted, or connected): the handshake starts, within its timeout. */
    void start() {
        handshakeDeadline = new TimerEntry(channel.loop, handshakeTimeout, this::timedOut);
        channel.loop.timers().insert(handshakeDeadline);
        try {
            engine.beginHandshake();
        } catch (SSLException e) {
            fail(e);
            return;
        }
        drive(NOTHING);
    }

    private void timedOut() {
        if (!established && !channel.isClosedNow()) {
            channel.closed(new SSLHandshakeException("the TLS handshake did not finish within " + handshakeTimeout
                    + "; the connection was reset"), true);
        }
    }

    private boolean handshakeFinished() {
        if (established) {
            return true;
        }
        established = true;
        if (handshakeDeadline != null) {
            handshakeDeadline.cancel();
            handshakeDeadline = null;
        }
        channel.tlsEstablished();
        return channel.state() == StreamChannel.State.OPEN;
    }

    private void startTasks() {
        taskRunning = true;
        channel.updateInterest();
        try {
            tasks.execute(this::runTasks);
        } catch (RejectedExecutionException e) {
            taskRunning = false;
            channel.closed(new SSLHandshakeException("the executor of the TLS handshake's tasks refused one: " + e), true);
        }
    }

    /** On the executor: runs the engine's tasks, then has the loop go on with the handshake. */
    private void runTasks() {
        Throwable failure = null;
        try {
            for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
                task.run();
            }
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        Throwable failed = failure;
        try {
            channel.loop.execute(() -> tasksDone(failed));
        } catch (RejectedExecutionException e) {
            // The loop is closing: it closes the connection, with the handshake unfinished.
        }
    }

    private void tasksDone(Throwable failure) {
        taskRunning = false;
        if (channel.isClosedNow()) {
            return;
        }
        if (failure != null) {
            if (failure instanceof VirtualMachineError error) {
                throw error;
            }
            SSLHandshakeException cause = new SSLHandshakeException("a task of the TLS handshake failed: " + failure);
            cause.initCause(failure);
            channel.closed(cause, true);
            return;
        }
        channel.updateInterest();
        if (!channel.redeliverCipher()) {
            drive(NOTHING);
        }
    }

    // ------------------------------------------------------------ input

    /**
     * Records came: {@code in}, from its position. Decrypts them and hands the plaintext to
     * the handler; what stays in {@code in} (from its position) is the start of a record,
     * or what waits for a delegated task, for the connection to keep.
     */
    void received(ByteBuffer in) {
        stalled = false;
        drive(in);
    }

    /**
     * Does what the engine asks, feeding it {@code in}: handshake messages to send, tasks
     * to run, records to open. Plaintext goes to the handler once {@code in} is used up.
     */
    private void drive(ByteBuffer in) {
        ByteBuffer plain = channel.loop.io().tls().plain;
        plain.clear();
        boolean peerClosed = false;
        try {
            while (takesInput() && !taskRunning) {
                HandshakeStatus status = engine.getHandshakeStatus();
                if (status == HandshakeStatus.NEED_TASK) {
                    startTasks();
                    break;
                }
                if (status == HandshakeStatus.NEED_WRAP) {
                    if (!wrapControl()) {
                        return;
                    }
                    continue;
                }
                if (inboundDone) {
                    in.position(in.limit());
                    break;
                }
                if (!in.hasRemaining() && status != HandshakeStatus.NEED_UNWRAP_AGAIN) {
                    break;
                }
                if (plain.remaining() < TlsBuffers.MAX_PACKET && !deliver(plain)) {
                    return;
                }
                SSLEngineResult result = engine.unwrap(in, plain);
                switch (result.getStatus()) {
                    case BUFFER_UNDERFLOW -> {
                        return; // the start of a record: kept for the next read (in finally: what was opened)
                    }
                    case BUFFER_OVERFLOW -> {
                        if (plain.position() == 0) {
                            throw new SSLException("a TLS record larger than " + plain.capacity() + " bytes");
                        }
                        if (!deliver(plain)) {
                            return;
                        }
                        continue;
                    }
                    case CLOSED -> {
                        inboundDone = true;
                        peerClosed = true; // TLS 1.2 answers with its own close_notify: the engine asks to wrap it
                        continue;
                    }
                    case OK -> { }
                }
                HandshakeStatus after = result.getHandshakeStatus();
                if (after == HandshakeStatus.FINISHED) {
                    if (!handshakeFinished()) {
                        return;
                    }
                } else if (established && renegotiating(after)) {
                    fail(new SSLException("the peer began a TLS renegotiation, which is refused"));
                    return;
                }
            }
        } catch (SSLException e) {
            fail(e);
            return;
        } finally {
            if (plain.position() > 0 && channel.state() == StreamChannel.State.OPEN) {
                deliver(plain);
            }
        }
        if (peerClosed && channel.state() == StreamChannel.State.OPEN) {
            if (keptUnseen) {
                endAfterKept = true; // the plaintext before the close_notify goes first, once reading resumes
            } else {
                channel.tlsEndOfInput();
            }
        }
    }

    /** Whether {@code status}, after the handshake, starts a new one: TLS 1.2 renegotiation (1.3 has none). */
    private boolean renegotiating(HandshakeStatus status) {
        return status != HandshakeStatus.NOT_HANDSHAKING && status != HandshakeStatus.FINISHED
                && !"TLSv1.3".equals(engine.getSession().getProtocol());
    }

    /**
     * Hands the handler the plaintext in {@code plain} (from 0 to its position), after the
     * bytes kept; keeps what it leaves, or all of it while reading is paused. {@code plain}
     * is empty afterwards. Returns whether the connection reads on.
     */
    private boolean deliver(ByteBuffer plain) {
        plain.flip();
        int fresh = plain.remaining();
        try {
            boolean paused = channel.isReadPaused();
            TlsBuffers buffers = channel.loop.io().tls();
            if (keptSize == 0 && !paused) {
                if (fresh == 0) {
                    return true;
                }
                try {
                    return handOver(buffers.plainViews.view(fresh), fresh, false);
                } finally {
                    buffers.plainViews.release();
                }
            }
            keep(buffers.plainMemory, fresh);
            if (paused) {
                keptUnseen |= fresh > 0;
                return true; // handed over when reading resumes
            }
            return handOver(keptView.clear().limit(keptSize), fresh, true);
        } finally {
            plain.clear();
        }
    }

    /** Calls the handler with {@code data}, which holds {@code fresh} new bytes; keeps what it leaves. */
    private boolean handOver(ByteBuffer data, int fresh, boolean fromKept) {
        int length = data.remaining();
        data.order(ByteOrder.BIG_ENDIAN);
        deliveringKept = fromKept;
        LoopEvents.SlowHandler timing = LoopEvents.handlerBegins();
        try {
            channel.handler.onData(channel.self(), data);
        } catch (RuntimeException | Error e) {
            channel.handlerFailed("onData", e);
            return false;
        } finally {
            deliveringKept = false;
            LoopEvents.handlerEnds(timing, channel.handler, "onData", channel);
            if (channel.isClosedNow()) {
                release(); // closed during the call: the kept memory goes now that the handler is done with it
            }
        }
        channel.sendStaged();
        if (channel.state() != StreamChannel.State.OPEN) {
            dropKept();
            return false; // closing: input is dropped
        }
        int left = UnreadInput.unread(data, length);
        if (fromKept) {
            keptUnseen = false;
        }
        stalled = fresh == 0 && left == length;
        if (left == 0 || keptLimit == 0) {
            dropKept(); // all taken, or nothing is to be kept
            return true;
        }
        if (left > keptLimit) {
            channel.closed(StreamInput.unreadLimitExceeded(left, keptLimit), true);
            return false;
        }
        if (fromKept) {
            MemorySegment.copy(kept, length - left, kept, 0, left);
            keptSize = left;
        } else {
            keptSize = 0;
            keep(channel.loop.io().tls().plainMemory.asSlice(length - left), left);
        }
        return true;
    }

    /** Appends the {@code n} bytes of {@code from} (at 0) to the kept plaintext. */
    private void keep(MemorySegment from, int n) {
        int needed = keptSize + n;
        if (kept == null || kept.byteSize() < needed) {
            IoContext io = channel.loop.io();
            // What is needed, not the limit, and zeroed: the handler's view of it spans all of it.
            MemorySegment larger = io.malloc(needed);
            larger.fill((byte) 0);
            if (kept != null) {
                MemorySegment.copy(kept, 0, larger, 0, keptSize);
                io.free(kept);
            }
            kept = larger;
            keptView = larger.asByteBuffer();
        }
        MemorySegment.copy(from, 0, kept, keptSize, n);
        keptSize = needed;
    }

    private void dropKept() {
        keptSize = 0;
        if (kept != null && !deliveringKept) {
            channel.loop.io().free(kept);
            kept = null;
            keptView = null;
        }
    }

    /** Whether plaintext is kept that resuming should hand back, or the end of input waits for it. */
    boolean hasKeptToRedeliver() {
        return (keptSize > 0 && !stalled) || endAfterKept;
    }

    /** Hands back the plaintext kept, without new input; then the end of input, if the peer's close_notify waited for it. */
    void redeliverKept() {
        if (keptSize > 0 && !stalled && channel.state() == StreamChannel.State.OPEN && !channel.isReadPaused()
                && !handOver(keptView.clear().limit(keptSize), 0, true)) {
            return;
        }
        if (endAfterKept && !keptUnseen && channel.state() == StreamChannel.State.OPEN) {
            endAfterKept = false;
            channel.tlsEndOfInput();
        }
    }

    /** See {@link Connection#keepUnread}: from the end of the handler call under way, if any. */
    void keepUnread(int bytes) {
        keptLimit = bytes;
        if (bytes == 0 && !deliveringKept) {
            dropKept();
        }
    }

    int keptBytes() {
        return keptSize;
    }

    // ------------------------------------------------------------ output

    /**
     * Encrypts {@code src} a batch at a time and writes each, while the kernel takes them
     * whole; what it does not take of a batch waits encrypted, and the rest of {@code src}
     * stays in it, for the caller to queue. Returns false if the connection closed.
     */
    boolean writeNow(ByteBuffer src) {
        return encrypt(src, false);
    }

    /**
     * The socket is writable: the records waiting go first, then {@code plain}, the
     * connection's queue of plaintext, a batch at a time while the kernel takes it all.
     * Returns false if the connection closed.
     */
    boolean flush(WriteQueue plain) {
        IoContext io = channel.loop.io();
        while (true) {
            if (cipher != null) {
                try {
                    if (cipher.flush(channel.socketFd(), io) > 0) {
                        channel.wroteSome();
                    }
                } catch (ErrnoException e) {
                    channel.closed(e, false);
                    return false;
                }
                if (cipher.size() > 0) {
                    return true;
                }
                spareCipher = cipher;
                cipher = null;
                channel.loop.counters().queued(-cipherPlain);
                cipherPlain = 0;
            }
            if (!established || taskRunning || plain == null || plain.size() == 0) {
                return true;
            }
            TlsBuffers buffers = io.tls();
            long taken = plain.take(buffers.outMemory, buffers.out.capacity(), io);
            channel.loop.counters().queued(-taken); // out of the queue: counted again below while its records wait
            ByteBuffer batch = buffers.out.clear().limit((int) taken);
            if (!encrypt(batch, true)) {
                return false;
            }
        }
    }

    /**
     * Encrypts {@code src} into the loop's memory a batch of records at a time and writes
     * each batch: all of it if {@code all}, else until a batch waits for the kernel.
     * Returns false if the connection closed.
     */
    private boolean encrypt(ByteBuffer src, boolean all) {
        ByteBuffer out = channel.loop.io().tls().cipher;
        while (src.hasRemaining() && (all || cipher == null)) {
            out.clear();
            int start = src.position();
            try {
                while (src.hasRemaining() && out.remaining() >= TlsBuffers.MAX_PACKET) {
                    SSLEngineResult result = engine.wrap(src, out);
                    if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                        outputOver();
                        channel.closed(new SSLException("TLS output is closed (close_notify was sent or received): "
                                + src.remaining() + " bytes written were not sent"), false);
                        return false;
                    }
                    if (result.getStatus() != SSLEngineResult.Status.OK) {
                        throw new SSLException("encrypting application data: " + result);
                    }
                }
            } catch (SSLException e) {
                fail(e);
                return false;
            }
            out.flip();
            if (!writeCipher(out, src.position() - start)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Wraps what the engine has to send of its own (handshake messages, alerts,
     * close_notify) and writes it. Returns false if the connection closed.
     */
    private boolean wrapControl() throws SSLException {
        ByteBuffer out = channel.loop.io().tls().cipher;
        out.clear();
        boolean finished = false;
        do {
            SSLEngineResult result = engine.wrap(NOTHING, out);
            finished |= result.getHandshakeStatus() == HandshakeStatus.FINISHED;
            if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                outputOver();
            }
            if (result.bytesProduced() == 0) {
                break;
            }
        } while (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP && out.remaining() >= TlsBuffers.MAX_PACKET);
        out.flip();
        if (!out.hasRemaining() && !finished && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
            throw new SSLException("the TLS engine asked to send and made nothing: " + engine.getHandshakeStatus());
        }
        if (!writeCipher(out, 0)) {
            return false;
        }
        return !finished || handshakeFinished();
    }

    /**
     * Writes {@code out} (records, from 0), which holds {@code plain} bytes of the
     * application's; what the kernel does not take waits, after any records waiting
     * already. Returns false if the connection closed.
     */
    private boolean writeCipher(ByteBuffer out, long plain) {
        IoContext io = channel.loop.io();
        MemorySegment memory = io.tls().cipherMemory;
        int length = out.remaining();
        long written = 0;
        if (cipher == null && length > 0) {
            try {
                written = io.sys.write(channel.socketFd(), memory, length);
            } catch (ErrnoException e) {
                channel.closed(e, false);
                return false;
            }
            if (written > 0) {
                channel.wroteSome();
            }
        }
        if (written < length) {
            boolean first = cipher == null;
            if (first) {
                cipher = spareCipher != null ? spareCipher : new WriteQueue();
                spareCipher = null;
            }
            cipher.append(memory.asSlice(written), length - written, io);
            cipherPlain += plain;
            channel.loop.counters().queued(plain);
            if (first) {
                channel.updateInterest();
                return !channel.isClosedNow(); // (epoll_ctl failed)
            }
        }
        return true;
    }

    /**
     * Sends close_notify, once, if the handshake is done; returns whether the FIN must wait:
     * for records still to go, or for the handshake.
     */
    boolean closeOutbound() {
        if (!established) {
            // Shut down before the handshake is done: the close_notify waits for it. Abandoned
            // (closed with nothing written): no TLS to end, the FIN goes now.
            return !abandoned;
        }
        if (!outboundDone) {
            outputOver();
            engine.closeOutbound();
            try {
                if (!wrapControl()) {
                    return true; // closed meanwhile: no FIN to send
                }
            } catch (SSLException e) {
                fail(e);
                return true;
            }
        }
        return cipher != null;
    }

    /** TLS output is over: other threads' writes are refused from now on, as after a shutdownOutput. */
    private void outputOver() {
        if (!outboundDone) {
            outboundDone = true;
            channel.foreignOutputClosed();
        }
    }

    // ------------------------------------------------------------ endings

    /** The exception of a peer's end of stream before its close_notify. */
    SSLException truncated() {
        if (!established) {
            return new SSLHandshakeException("the peer closed the connection during the TLS handshake");
        }
        return new SSLException("the peer ended the stream without a TLS close_notify: its input may be truncated");
    }

    /**
     * The engine failed (a bad record, a failed handshake): the alert it has for the peer
     * goes out as far as the kernel takes it at once, then the connection closes with
     * {@code cause}.
     */
    private void fail(SSLException cause) {
        try {
            if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP && cipher == null) {
                ByteBuffer out = channel.loop.io().tls().cipher;
                out.clear();
                engine.wrap(NOTHING, out);
                out.flip();
                if (out.hasRemaining()) {
                    IoContext io = channel.loop.io();
                    io.sys.write(channel.socketFd(), io.tls().cipherMemory, out.remaining());
                }
            }
        } catch (SSLException | ErrnoException e) {
            cause.addSuppressed(e); // the alert is a courtesy; the cause is what counts
        }
        channel.closed(cause, false);
    }

    /** Cancels the handshake's deadline and drops the records waiting for the kernel. */
    private void dropOutputAndDeadline() {
        if (handshakeDeadline != null) {
            handshakeDeadline.cancel();
            handshakeDeadline = null;
        }
        if (cipher != null) {
            cipher.clear(channel.loop.io());
            channel.loop.counters().queued(-cipherPlain);
            cipher = null;
            cipherPlain = 0;
        }
    }

    /** The connection closed: its memory goes, and the handshake's deadline with it. */
    void release() {
        dropOutputAndDeadline();
        keptSize = 0;
        if (!deliveringKept && kept != null) {
            channel.loop.io().free(kept);
            kept = null;
            keptView = null;
        }
    }
}
