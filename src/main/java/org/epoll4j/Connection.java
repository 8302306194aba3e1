package org.epoll4j;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.epoll4j.internal.Fd;
import org.epoll4j.internal.Sockaddr;
import org.epoll4j.internal.Socket;

/**
 * A TCP connection served by an {@link EventLoop}: accepted by a {@link Server} or
 * opened with {@link EventLoop#connect}.
 *
 * {@snippet :
 * connection.write(ByteBuffer.wrap("hello\n".getBytes(StandardCharsets.US_ASCII)));
 * connection.close();   // after "hello\n" has gone out
 * }
 *
 * <p>Notes:
 * <ul>
 * <li>Threading: every method belongs to the loop's thread; from another thread, use
 *     {@link EventLoop#execute}.
 * <li>Output: {@link #write} hands the kernel what it takes at once and queues the
 *     rest in native memory, in order; queued output goes out when the socket is
 *     writable. Above the high-water mark {@link #isWritable()} is false; below the
 *     low-water mark again, {@link ConnectionHandler#onWritable} runs.
 * <li>Input is level-triggered: each readiness event reads once, up to 64 KiB (a few
 *     times once the peer has hung up, to reach the end of its data).
 * <li>{@code onClose} may run inside a method of this class: a {@link #write} that
 *     fails closes the connection before it returns.
 * </ul>
 */
public final class Connection extends Channel {
    private Object attachment;

    Connection(EventLoop loop, ConnectionHandler handler, int fd, boolean connecting) {
        super(loop, handler, fd, connecting);
    }

    /** Opens a socket, starts connecting it to {@code address} and registers it with {@code loop}. */
    static Connection open(EventLoop loop, InetSocketAddress address, ConnectionHandler handler)
            throws ErrnoException {
        IoContext io = loop.io();
        int fd = Socket.open(io.capture, Sockaddr.family(address));
        Connection connection = new Connection(loop, handler, fd, true);
        connection.connectingTo = address;
        try {
            Socket.setNoDelay(io.capture, io.scratch, fd, true);
            Socket.connect(io.capture, io.scratch, fd, address);
            loop.registry().add(connection, Epoll.OUT);
        } catch (ErrnoException e) {
            // The failure is the connection's: it reaches the handler after connect returns.
            // The socket stays out of the epoll set (epoll reports an unconnected socket as
            // HUP) but in the registry, so that closing the loop first still closes it.
            if (connection.slot < 0) {
                loop.registry().addUnwatched(connection);
            }
            loop.execute(() -> connection.failConnect(e));
        } catch (RuntimeException e) {
            Fd.closeQuietly(io.capture, fd);
            throw e;
        }
        return connection;
    }

    @Override
    Connection self() {
        return this;
    }

    /**
     * Writes {@code src}'s remaining bytes, or queues what the kernel does not take
     * now; consumes the buffer either way. A write error closes the connection at once:
     * its {@code onClose} runs, with the error, before this method returns.
     *
     * <p>Once the connection is closed (by either side, or by an error) a write does
     * nothing and leaves {@code src} as it is: the handler learns of the close from
     * {@code onClose}, and need not check before each write.
     *
     * @throws IllegalStateException if this side has asked to close the connection
     *     ({@link #close()}, still flushing) or to shut its output down
     */
    public void write(ByteBuffer src) {
        loop.checkInLoop();
        if ((state & CLOSED) != 0) {
            return;
        }
        if ((state & CLOSING) != 0) {
            throw new IllegalStateException("connection is closing");
        }
        if ((state & (SHUTDOWN_PENDING | OUTPUT_SHUT)) != 0) {
            throw new IllegalStateException("output is shut down");
        }
        if (!src.hasRemaining()) {
            return;
        }
        if (queue == null && (state & CONNECTING) == 0) {
            long written;
            try {
                written = loop.io().write(fd, src);
            } catch (ErrnoException e) {
                src.position(src.limit());
                closeNow(e);
                return;
            }
            src.position(src.position() + (int) written);
            if (!src.hasRemaining()) {
                return;
            }
        }
        WriteQueue pending = queue;
        if (pending == null) {
            pending = queue = new WriteQueue();
        }
        pending.append(src, loop.io());
        if (pending.size() > highWaterMark) {
            state |= UNWRITABLE;
        }
        setInterest(interest | Epoll.OUT); // may fail and close: nothing after it
    }

    /** Whether queued output is at most the high-water mark. */
    public boolean isWritable() {
        loop.checkInLoop();
        return (state & UNWRITABLE) == 0;
    }

    /** Bytes written but not yet taken by the kernel. */
    public long queuedBytes() {
        loop.checkInLoop();
        return queue == null ? 0 : queue.size();
    }

    /**
     * Sets the marks of {@link #isWritable()}: false above {@code high} queued bytes,
     * true again once at most {@code low}. Defaults: 32 KiB and 64 KiB.
     */
    public void setWaterMarks(int low, int high) {
        loop.checkInLoop();
        if (low < 0 || high < low) {
            throw new IllegalArgumentException("need 0 <= low <= high: low=" + low + ", high=" + high);
        }
        lowWaterMark = low;
        highWaterMark = high;
    }

    /**
     * Stops reading: the kernel buffers, then the peer's writes wait (backpressure).
     * Does nothing on a closed or closing connection.
     */
    public void pauseReading() {
        loop.checkInLoop();
        if ((state & (READ_PAUSED | CLOSED | CLOSING)) == 0) {
            state |= READ_PAUSED;
            updateReadInterest();
        }
    }

    /** Reads again after {@link #pauseReading()}. Does nothing on a closed or closing connection. */
    public void resumeReading() {
        loop.checkInLoop();
        if ((state & (READ_PAUSED | CLOSED | CLOSING)) == READ_PAUSED) {
            state &= ~READ_PAUSED;
            if ((state & PARKED) != 0) {
                unpark();
            } else {
                updateReadInterest();
            }
        }
    }

    /** Whether reading is paused. */
    public boolean isReadingPaused() {
        loop.checkInLoop();
        return (state & READ_PAUSED) != 0;
    }

    /**
     * Sends FIN once queued output has gone out; reading goes on. Idempotent; does
     * nothing on a closed or closing connection.
     */
    public void shutdownOutput() {
        loop.checkInLoop();
        if ((state & (SHUTDOWN_PENDING | OUTPUT_SHUT | CLOSED | CLOSING)) == 0) {
            state |= SHUTDOWN_PENDING;
            if (queue == null && (state & CONNECTING) == 0) {
                shutdownNow();
            }
        }
    }

    /**
     * Closes the connection once its queued output has gone out. Idempotent.
     * {@code onClose} runs when the fd is released, with a null cause.
     *
     * <p>Notes: no more data reaches the handler; what the peer still sends is read and
     * dropped, because closing a socket with unread input sends a reset, which can
     * make the peer lose the end of the output. A peer that never reads keeps the
     * connection closing: {@link #abort()} ends it at once.
     */
    public void close() {
        loop.checkInLoop();
        if ((state & (CLOSED | CLOSING)) != 0) {
            return;
        }
        if (queue == null) {
            discardInput();
            closeNow(null);
            return;
        }
        state |= CLOSING;
        updateReadInterest();
    }

    /** Closes at once with a reset (SO_LINGER 0), dropping queued output. Idempotent. */
    public void abort() {
        loop.checkInLoop();
        if ((state & CLOSED) == 0) {
            reset();
            closeNow(null);
        }
    }

    /** Whether the connection is neither closed nor closing. */
    public boolean isOpen() {
        loop.checkInLoop();
        return (state & (CLOSED | CLOSING)) == 0;
    }

    /** Sets TCP_NODELAY: small writes go out at once instead of waiting to coalesce (on by default). */
    public void setNoDelay(boolean on) throws ErrnoException {
        checkNotClosed();
        Socket.setNoDelay(loop.io().capture, loop.io().scratch, fd, on);
    }

    /** Sets SO_KEEPALIVE: the kernel probes an idle peer and resets the connection if it is gone. */
    public void setKeepAlive(boolean on) throws ErrnoException {
        checkNotClosed();
        Socket.setKeepAlive(loop.io().capture, loop.io().scratch, fd, on);
    }

    /** The peer's address. */
    public InetSocketAddress remoteAddress() throws ErrnoException {
        checkNotClosed();
        return Socket.remoteAddress(loop.io().capture, loop.io().scratch, fd);
    }

    /** This end's address. */
    public InetSocketAddress localAddress() throws ErrnoException {
        checkNotClosed();
        return Socket.localAddress(loop.io().capture, loop.io().scratch, fd);
    }

    /** The object attached with {@link #attach}, or null. */
    public Object attachment() {
        loop.checkInLoop();
        return attachment;
    }

    /** Attaches an object of the application's, such as per-connection state. */
    public void attach(Object attachment) {
        loop.checkInLoop();
        this.attachment = attachment;
    }

    private void checkNotClosed() {
        loop.checkInLoop();
        if ((state & CLOSED) != 0) {
            throw new IllegalStateException("connection is closed");
        }
    }
}
