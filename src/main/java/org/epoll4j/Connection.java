// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLSession;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.Loop;
import org.epoll4j.transport.stream.StreamRequests;

/**
 * A stream connection, TCP or a Unix domain socket's, served by an {@link EventLoop}:
 * accepted by a {@link Server} or opened with {@link EventLoop#connect}.
 *
 * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="greeter"}
 *
 * <p>From a thread that is not the loop's, as {@link EventLoopGroup}'s example does:
 *
 * {@snippet class="org.epoll4j.snippets.GroupSnippets" region="virtual-threads"}
 *
 * <p>Notes:
 * <ul>
 * <li>Threading: {@link #write}, {@link #close}, {@link #abort}, {@link #shutdownOutput},
 *     {@link #pauseReading}, {@link #resumeReading} and {@link #loop} may be called from
 *     any thread; the others belong to the loop's thread. On the loop's thread a call acts
 *     at once. From another thread, {@code write} copies the bytes before it returns, and
 *     the loop writes them in its next turn, in the order each thread called; the other
 *     calls take effect then too, after the writes asked for before them. A burst of such
 *     calls wakes the loop once.
 * <li>Output: {@link #write} hands the kernel what it takes at once and queues the
 *     rest in native memory, in order; queued output goes out when the socket is
 *     writable. Above the high-water mark {@link #isWritable()} is false; below the
 *     low-water mark again, {@link ConnectionHandler#onWritable} runs. A write that
 *     would queue more than the {@link #setOutputLimit output limit} (64 MiB unless
 *     set) resets the connection.
 * <li>Closing: {@link #close()} lets queued output go out first, for at most the
 *     {@link #setCloseTimeout close timeout} (30 s unless set); then the connection is
 *     reset, and {@code onClose} is told why. {@link #abort()} resets at once.
 * <li>Input is level-triggered: each readiness event reads once, up to 64 KiB (a few
 *     times once the peer has hung up, to reach the end of its data).
 * <li>{@code onClose} may run inside a method of this class: a {@link #write} that
 *     fails closes the connection before it returns.
 * </ul>
 */
public final class Connection extends StreamRequests {
    private Object attachment;

    Connection(Loop loop, ConnectionHandler handler, HandlerFactory handlers, int fd, boolean connected) {
        super(loop, handler, handlers, fd, connected);
    }

    @Override
    protected Connection self() {
        return this;
    }

    /** The connection's fd (-1 once closed) and peer, for messages and logs. Any thread. */
    @Override
    public String toString() {
        return describe();
    }

    /**
     * Writes {@code src}'s remaining bytes, or queues what the kernel does not take now,
     * and consumes the buffer. Once written, the bytes belong to the connection: the
     * caller may reuse {@code src} at once.
     *
     * <p>Returns false, and takes nothing, when the connection takes no more output:
     * it is closing or closed (by either side, or by an error), or its output was shut
     * down. A write that fails, or that would queue more than the output limit, closes
     * the connection (with a reset for the limit) and returns false; {@code onClose}
     * has then run, with the reason. A handler need not check before each write: the
     * same call behaves the same whatever the peer's pace.
     *
     * @param src the bytes to write, from its position to its limit: a buffer of any kind,
     *     which stays the caller's (the bytes taken are written or copied before this
     *     returns); its position moves to its limit as they are taken
     * @return true if every remaining byte was taken
     */
    public boolean write(ByteBuffer src) {
        Objects.requireNonNull(src, "src");
        if (!loop.isLoopThreadNow()) {
            return writeElsewhere(src);
        }
        foreignFirst(false);
        return accept(src);
    }

    /**
     * Stages {@code src}'s remaining bytes: they go out with the other bytes staged by
     * this handler call, in one writev(2), when the call returns, if it was a call of this
     * connection's handler; otherwise (from another connection's handler, a task or a timer)
     * at the end of the loop's turn. A handler that answers several requests in one
     * {@code onData} (pipelining) makes one system call for all of them; {@link #write}
     * makes one per call. Staged bytes count as queued output (water marks, output limit),
     * and go out before anything written after them.
     *
     * {@snippet class="org.epoll4j.snippets.ProtocolSnippets" region="stage"}
     *
     * @param src the bytes, copied before this returns; its position moves to its limit
     * @return true if every remaining byte was taken; false, taking nothing, as {@link #write}
     * @throws WrongThreadException unless called on the loop's thread
     */
    public boolean stage(ByteBuffer src) {
        Objects.requireNonNull(src, "src");
        loop.checkInLoop();
        foreignFirst(false);
        return stage0(src);
    }

    /**
     * Keeps the input that {@code onData} leaves unread, up to {@code maxBytes}, and hands it
     * back ahead of the next bytes read, in the same {@code data}: a handler takes the whole
     * messages it finds, from {@code data}'s position, and returns; the start of a message cut
     * by the read comes back with its rest. A read that holds only whole messages copies
     * nothing. A handler that leaves more than {@code maxBytes} unread resets the connection:
     * its {@code onClose} gets an {@link java.io.IOException} that says so.
     *
     * {@snippet class="org.epoll4j.snippets.ProtocolSnippets" region="framing"}
     *
     * <p>Notes: what is unread is what {@code data} holds from its position on when
     * {@code onData} returns (its limit is not looked at). Kept bytes wait for the next
     * read; but when reading resumes after {@link #pauseReading()}, they are handed back in
     * that turn, without one: a handler that pauses in the middle of pipelined requests gets
     * the rest once it resumes (such a handler leaves the rest of a read, up to 64 KiB, and
     * its limit must allow for it; a read after kept bytes never brings more than the limit).
     * Kept bytes handed back so, and left again untouched, are not handed back on the next
     * resume: only new input. While bytes are kept, {@code data}'s capacity may be more than
     * its limit. Without this call (or with 0), what onData leaves is dropped. The memory of
     * kept bytes is the connection's own while any are kept, and {@code data} stays readable
     * until the call returns, whatever the handler does to the connection meanwhile.
     *
     * @param maxBytes the most bytes kept, the longest message the handler waits for; 0 to
     *     stop keeping them (those kept are dropped, at once, or once the call under way
     *     returns if its data holds them). A new limit applies from the end of the call under way
     * @throws IllegalArgumentException if maxBytes is negative
     * @throws WrongThreadException unless called on the loop's thread
     */
    public void keepUnread(int maxBytes) {
        loop.checkInLoop();
        unreadLimit(maxBytes);
    }

    /**
     * Bytes kept from earlier calls of {@code onData} (see {@link #keepUnread}), to be handed
     * back ahead of the next.
     *
     * @return the bytes kept, 0 if none
     */
    public int unreadBytes() {
        loop.checkInLoop();
        return unreadBytes0();
    }

    /**
     * Whether the connection takes output without piling it up: false once queued output
     * goes above the high-water mark, and true again, with
     * {@link ConnectionHandler#onWritable}, once it is down to the low-water mark (see
     * {@link #setWaterMarks}). False for good once it takes no more output: closing,
     * closed, or its output shut down; no {@code onWritable} follows then.
     *
     * @return false while queued output is above the high-water mark, and once
     *     {@link #write} returns false whatever it is given
     */
    public boolean isWritable() {
        loop.checkInLoop();
        foreignFirst(false); // another thread's close or shutdownOutput, asked before, counts
        return takesOutputNow();
    }

    /**
     * Bytes written but not yet taken by the kernel: queued in native memory.
     *
     * @return the bytes queued, 0 if none
     */
    public long queuedBytes() {
        loop.checkInLoop();
        return queued();
    }

    /**
     * Sets the marks of {@link #isWritable()}: false above {@code high} queued bytes,
     * true again, with {@link ConnectionHandler#onWritable}, once at most {@code low}.
     * Defaults: 32 KiB and 64 KiB.
     *
     * @param low the queued bytes at or below which the connection is writable again
     * @param high the queued bytes above which it is not
     * @throws IllegalArgumentException unless 0 &lt;= low &lt;= high
     */
    public void setWaterMarks(int low, int high) {
        loop.checkInLoop();
        waterMarks(low, high);
    }

    /**
     * Sets the most bytes this connection may queue (default 64 MiB): a write that would
     * queue more resets the connection, and its {@code onClose} gets an IOException
     * that says so. It bounds what one peer that does not read can cost; a handler that
     * pauses on {@link #isWritable()} never reaches it. {@code Long.MAX_VALUE} lifts it.
     * Bytes that other threads wrote and the loop has not taken up yet count apart, against
     * the same limit: with such writes, up to three times it can be held for a moment.
     *
     * @param bytes the most bytes queued at a time
     * @throws IllegalArgumentException if bytes is not positive
     */
    public void setOutputLimit(long bytes) {
        loop.checkInLoop();
        outputLimit(bytes);
    }

    /**
     * Sets how long {@link #close()} waits for queued output to go out (default 30 s):
     * past it the connection is reset, and its {@code onClose} gets a
     * {@link java.net.SocketTimeoutException}. Applies to closes requested after this call.
     *
     * @param timeout how long a close may take
     * @throws IllegalArgumentException if timeout is not positive
     */
    public void setCloseTimeout(Duration timeout) {
        loop.checkInLoop();
        closeTimeout(Objects.requireNonNull(timeout, "timeout"));
    }

    /**
     * Sets an idle timeout: once the connection has been idle in {@code kind} for
     * {@code timeout}, its handler's {@link ConnectionHandler#onIdle} runs (by default it
     * closes the connection), and again after each further {@code timeout} with no
     * activity. Counts from this call. {@link Idle#READ}: no input arrived;
     * {@link Idle#WRITE}: no output went to the kernel (the peer may have stopped reading);
     * {@link Idle#BOTH}: neither. Each kind has its own timeout.
     *
     * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="idle-timeout"}
     *
     * <p>Notes: reads and writes only note the loop's clock (as of its turn), which costs
     * no allocation and no timer work; the connection's one timer runs about once per
     * timeout, so a loop can hold a hundred thousand connections with idle timeouts.
     *
     * @param kind what the connection must stay idle in
     * @param timeout how long; {@link Duration#ZERO} takes that timeout away
     * @throws IllegalArgumentException if timeout is negative
     * @throws WrongThreadException unless called on the loop's thread
     */
    public void setIdleTimeout(Idle kind, Duration timeout) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(timeout, "timeout");
        loop.checkInLoop();
        idleTimeout(kind, timeout);
    }

    /**
     * Stops reading: the kernel buffers, then the peer's writes wait (backpressure).
     * Does nothing on a closed or closing connection.
     */
    public void pauseReading() {
        pauseAnyThread();
    }

    /** Reads again after {@link #pauseReading()}. Does nothing on a closed or closing connection. */
    public void resumeReading() {
        resumeAnyThread();
    }

    /**
     * Whether reading is paused.
     *
     * @return true between {@link #pauseReading()} and {@link #resumeReading()}, as the
     *     loop has applied them
     */
    public boolean isReadingPaused() {
        loop.checkInLoop();
        return isReadPaused();
    }

    /**
     * Sends FIN once queued output has gone out; reading goes on, and later writes return
     * false. Idempotent; does nothing on a closed or closing connection.
     */
    public void shutdownOutput() {
        shutdownOutputAnyThread();
    }

    /**
     * Closes the connection once its queued output has gone out, within the close
     * timeout. Idempotent. {@code onClose} runs then, with a null cause (or, past the
     * timeout, a {@link java.net.SocketTimeoutException}).
     *
     * <p>Notes: no more data reaches the handler. Once the output is out, FIN goes, and
     * the connection lingers until the peer's end of stream, reading and dropping what the
     * peer still sends; only then is the fd closed. A socket closed with unread input, or
     * that receives any later, answers with a reset, which makes the peer drop what it has
     * not read yet: the end of the output. A peer that never ends its output is reset at
     * the close timeout: until then the connection holds its fd. Against peers that may
     * never end theirs (an idle client dropped, a slow one), set a short close timeout, or
     * {@link #abort()}, which ends it at once.
     */
    public void close() {
        closeAnyThread();
    }

    /** Closes at once with a reset (SO_LINGER 0), dropping queued output. Idempotent. */
    public void abort() {
        abortAnyThread();
    }

    /**
     * Whether the connection is neither closed nor closing.
     *
     * @return false once a close, an abort or an error has begun to end it
     */
    public boolean isOpen() {
        loop.checkInLoop();
        return isOpenNow();
    }

    /**
     * The loop that serves this connection, for its life. Any thread.
     *
     * @return the loop whose thread calls the handler
     */
    public EventLoop loop() {
        return loop.api();
    }

    /**
     * Sets TCP_NODELAY: small writes go out at once instead of waiting to coalesce (on by
     * default for TCP).
     *
     * @param on whether to send small writes at once
     * @throws IllegalStateException once onClose has returned
     * @throws ErrnoException if setsockopt(2) fails
     */
    public void setNoDelay(boolean on) throws ErrnoException {
        checkFdOpen();
        loop.io().sockets.setNoDelay(fd, on);
    }

    /**
     * Sets SO_KEEPALIVE: the kernel probes an idle peer and resets the connection if it is
     * gone.
     *
     * @param on whether to probe
     * @throws IllegalStateException once onClose has returned
     * @throws ErrnoException if setsockopt(2) fails
     */
    public void setKeepAlive(boolean on) throws ErrnoException {
        checkFdOpen();
        loop.io().sockets.setKeepAlive(fd, on);
    }

    /**
     * The peer's address, as the connection was accepted from or connected to. Works
     * until {@code onClose} has returned, a reset connection included.
     *
     * @return an {@link InetSocketAddress} for TCP; for a Unix domain socket, the address
     *     connected to, or the one the peer is bound to (a
     *     {@link java.net.UnixDomainSocketAddress} with an empty path if none, as most
     *     clients are)
     * @throws IllegalStateException once onClose has returned
     */
    public SocketAddress remoteAddress() {
        checkFdOpen();
        return peer();
    }

    /**
     * This end's address. Works until {@code onClose} has returned.
     *
     * @return the address getsockname(2) reports
     * @throws IllegalStateException once onClose has returned
     * @throws ErrnoException if getsockname(2) fails
     */
    public SocketAddress localAddress() throws ErrnoException {
        checkFdOpen();
        return loop.io().sockets.localAddress(fd);
    }

    /**
     * The credentials of a Unix domain socket's peer: the process that connected, and its
     * user and group then (SO_PEERCRED). Works until {@code onClose} has returned.
     *
     * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="unix-socket"}
     *
     * @return the peer's pid, uid and gid
     * @throws UnsupportedOperationException on a TCP connection, which has none
     * @throws IllegalStateException once onClose has returned
     * @throws ErrnoException if getsockopt(2) fails
     */
    public PeerCredentials peerCredentials() throws ErrnoException {
        checkFdOpen();
        if (isTcp()) {
            throw new UnsupportedOperationException("peer credentials are a Unix domain socket's: this is TCP");
        }
        int[] credentials = loop.io().sockets.peerCredentials(fd);
        return new PeerCredentials(credentials[0], credentials[1], credentials[2]);
    }

    /**
     * The TLS session of this connection, once its handshake is done; null for a plaintext
     * connection (or one whose handshake is under way: the session it will have is
     * incomplete until then). Its peer certificates, protocol and cipher suite can be read.
     *
     * @return the session, or null
     */
    public SSLSession tlsSession() {
        loop.checkInLoop();
        return establishedSession();
    }

    /**
     * The application protocol TLS's ALPN chose (see {@link Tls#withApplicationProtocols}),
     * once the handshake is done; null if none was (no ALPN, or a plaintext connection).
     *
     * @return the protocol's name, or null
     */
    public String applicationProtocol() {
        loop.checkInLoop();
        return chosenProtocol();
    }

    /** Makes this a TLS connection, to or from {@code peer} (null if not known yet): before it opens. */
    Connection secure(Tls tls, SocketAddress peer) {
        secure(tls.newEngine(peer), tls.handshakeTimeout(), tls.delegatedTasks());
        return this;
    }

    /**
     * The object attached with {@link #attach}.
     *
     * @return the attachment, or null if none
     */
    public Object attachment() {
        loop.checkInLoop();
        return attachment;
    }

    /**
     * Attaches an object of the application's, such as per-connection state, in place of
     * any attached before.
     *
     * @param attachment the object, or null to drop the last one
     */
    public void attach(Object attachment) {
        loop.checkInLoop();
        this.attachment = attachment;
    }

    /** The fd is open until onClose has returned: in onClose, its addresses can still be read. */
    private void checkFdOpen() {
        loop.checkInLoop();
        if (fd < 0) {
            throw new IllegalStateException("connection is closed");
        }
    }
}
