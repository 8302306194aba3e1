package org.epoll4j;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.epoll4j.ffi.Libc;
import org.epoll4j.internal.Fd;
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
 * <li>Input is level-triggered: each readiness event reads once, up to 64 KiB.
 * </ul>
 */
public final class Connection extends Source {
    private static final int CONNECTING = 1;
    private static final int READ_PAUSED = 1 << 1;
    private static final int INPUT_ENDED = 1 << 2;
    private static final int CLOSING = 1 << 3;
    private static final int SHUTDOWN_PENDING = 1 << 4;
    private static final int OUTPUT_SHUT = 1 << 5;
    private static final int UNWRITABLE = 1 << 6;
    private static final int CLOSED = 1 << 7;
    /* More reads for one event only when the peer has closed: to reach the EOF. */
    private static final int READS_AFTER_HANGUP = 16;

    private final EventLoop loop;
    private final ConnectionHandler handler;
    private int state;
    private int interest;
    private WriteQueue queue;
    private int lowWaterMark = 32 * 1024;
    private int highWaterMark = 64 * 1024;
    private Object attachment;

    Connection(EventLoop loop, ConnectionHandler handler, int fd, boolean connecting) {
        super(fd);
        this.loop = loop;
        this.handler = handler;
        this.state = connecting ? CONNECTING : 0;
        this.interest = connecting ? Epoll.OUT : Epoll.IN | Epoll.RDHUP;
    }

    int interest() {
        return interest;
    }

    /**
     * Writes {@code src}'s remaining bytes, or queues what the kernel does not take
     * now; consumes the buffer either way. A write error closes the connection
     * (its {@code onClose} gets the error).
     *
     * @throws IllegalStateException if the connection is closed or closing, or its
     *     output is shut down
     */
    public void write(ByteBuffer src) {
        checkOutputOpen();
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
        if (queue == null) {
            queue = new WriteQueue();
            setInterest(interest | Epoll.OUT);
        }
        queue.append(src, loop.io());
        if (queue.size() > highWaterMark) {
            state |= UNWRITABLE;
        }
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

    /** Stops reading: the kernel buffers, then the peer's writes wait (backpressure). */
    public void pauseReading() {
        checkOpen();
        if ((state & READ_PAUSED) == 0) {
            state |= READ_PAUSED;
            updateReadInterest();
        }
    }

    /** Reads again after {@link #pauseReading()}. */
    public void resumeReading() {
        checkOpen();
        if ((state & READ_PAUSED) != 0) {
            state &= ~READ_PAUSED;
            updateReadInterest();
        }
    }

    /** Whether reading is paused. */
    public boolean isReadingPaused() {
        loop.checkInLoop();
        return (state & READ_PAUSED) != 0;
    }

    /** Sends FIN once queued output has gone out; reading goes on. Idempotent. */
    public void shutdownOutput() {
        checkOpen();
        if ((state & (SHUTDOWN_PENDING | OUTPUT_SHUT)) == 0) {
            state |= SHUTDOWN_PENDING;
            if (queue == null && (state & CONNECTING) == 0) {
                shutdownNow();
            }
        }
    }

    /**
     * Closes the connection once its queued output has gone out; reading stops now.
     * Idempotent. {@code onClose} runs when the fd is released, with a null cause.
     */
    public void close() {
        loop.checkInLoop();
        if ((state & (CLOSED | CLOSING)) != 0) {
            return;
        }
        if (queue == null || (state & OUTPUT_SHUT) != 0) {
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

    @Override
    void ready(int events) {
        if ((state & CONNECTING) != 0) {
            finishConnect();
            return;
        }
        if ((events & Epoll.OUT) != 0 && queue != null) {
            flush();
        }
        if ((state & CLOSED) != 0) {
            return;
        }
        boolean hangup = (events & (Epoll.HUP | Epoll.RDHUP | Epoll.ERR)) != 0;
        if ((events & Epoll.IN) != 0 || hangup) {
            if ((interest & Epoll.IN) != 0) {
                read(hangup);
            } else if ((events & (Epoll.HUP | Epoll.ERR)) != 0) {
                // Not reading (paused, ended or closing): a dead socket must not spin.
                closeNow(pendingError());
            }
        }
    }

    @Override
    void closeWithLoop() {
        closeNow(null);
    }

    /** Delivers {@code failure} of a connect that failed before it was registered. */
    void failConnect(ErrnoException failure) {
        closeNow(failure);
    }

    void opened() {
        try {
            handler.onOpen(this);
        } catch (RuntimeException | Error e) {
            handlerFailed("onOpen", e);
        }
    }

    private void read(boolean hangup) {
        IoContext io = loop.io();
        int reads = hangup ? READS_AFTER_HANGUP : 1;
        for (int i = 0; i < reads && (interest & Epoll.IN) != 0 && (state & CLOSED) == 0; i++) {
            int n;
            try {
                n = io.read(fd);
            } catch (ErrnoException e) {
                closeNow(e);
                return;
            }
            if (n == 0) {
                return;
            }
            if (n < 0) {
                endOfInput();
                return;
            }
            try {
                handler.onData(this, io.view(n));
            } catch (RuntimeException | Error e) {
                handlerFailed("onData", e);
                return;
            }
        }
    }

    private void endOfInput() {
        state |= INPUT_ENDED;
        updateReadInterest();
        try {
            handler.onEndOfInput(this);
        } catch (RuntimeException | Error e) {
            handlerFailed("onEndOfInput", e);
        }
    }

    private void flush() {
        long before = queue.size();
        try {
            queue.flush(fd, loop.io());
        } catch (ErrnoException e) {
            closeNow(e);
            return;
        }
        if (queue.size() == before) {
            return;
        }
        if (queue.size() == 0) {
            queue = null;
            setInterest(interest & ~Epoll.OUT);
            if ((state & SHUTDOWN_PENDING) != 0) {
                shutdownNow();
            }
            if ((state & CLOSING) != 0) {
                closeNow(null);
                return;
            }
        }
        if ((state & UNWRITABLE) != 0 && queuedBytes() <= lowWaterMark) {
            state &= ~UNWRITABLE;
            try {
                handler.onWritable(this);
            } catch (RuntimeException | Error e) {
                handlerFailed("onWritable", e);
            }
        }
    }

    private void finishConnect() {
        int error = pendingErrno();
        if (error != 0) {
            closeNow(new ErrnoException("connect(fd=" + fd + ")", error));
            return;
        }
        state &= ~CONNECTING;
        setInterest(Epoll.IN | Epoll.RDHUP | (queue != null ? Epoll.OUT : 0));
        if ((state & CLOSED) == 0) {
            if ((state & SHUTDOWN_PENDING) != 0 && queue == null) {
                shutdownNow();
            }
            opened();
        }
    }

    private void shutdownNow() {
        state = (state & ~SHUTDOWN_PENDING) | OUTPUT_SHUT;
        try {
            Socket.shutdown(loop.io().capture, fd, Libc.SHUT_WR());
        } catch (ErrnoException e) {
            closeNow(e);
        }
    }

    private void updateReadInterest() {
        boolean reading = (state & (READ_PAUSED | INPUT_ENDED | CLOSING)) == 0;
        int read = Epoll.IN | Epoll.RDHUP;
        setInterest(reading ? interest | read : interest & ~read);
    }

    private void setInterest(int events) {
        if (events == interest || (state & CLOSED) != 0) {
            return;
        }
        interest = events;
        try {
            loop.modify(this, events);
        } catch (ErrnoException e) {
            closeNow(e);
        }
    }

    void closeNow(IOException cause) {
        if ((state & CLOSED) != 0) {
            return;
        }
        state = CLOSED;
        if (queue != null) {
            queue.clear(loop.io());
            queue = null;
        }
        // Closing the fd also removes it from the epoll set: it is never duplicated.
        loop.unregister(this);
        Fd.closeQuietly(loop.io().capture, fd);
        fd = -1;
        try {
            handler.onClose(this, cause);
        } catch (RuntimeException | Error e) {
            loop.report(e);
        }
    }

    private void handlerFailed(String method, Throwable e) {
        if (e instanceof VirtualMachineError error) {
            throw error;
        }
        if ((state & CLOSED) != 0) {
            loop.report(e);
            return;
        }
        reset();
        closeNow(new IOException(method + " threw " + e, e));
    }

    private void reset() {
        try {
            Socket.setLinger(loop.io().capture, loop.io().scratch, fd, 0);
        } catch (ErrnoException e) {
            // The socket is already dead; close(2) releases it all the same.
        }
    }

    private IOException pendingError() {
        int error = pendingErrno();
        return error == 0 ? null : new ErrnoException("socket(fd=" + fd + ")", error);
    }

    private int pendingErrno() {
        try {
            return Socket.takeError(loop.io().capture, loop.io().scratch, fd);
        } catch (ErrnoException e) {
            return e.errno();
        }
    }

    private void checkOutputOpen() {
        checkOpen();
        if ((state & (SHUTDOWN_PENDING | OUTPUT_SHUT)) != 0) {
            throw new IllegalStateException("output is shut down");
        }
    }

    private void checkOpen() {
        loop.checkInLoop();
        if ((state & (CLOSED | CLOSING)) != 0) {
            throw new IllegalStateException((state & CLOSED) != 0 ? "connection is closed" : "connection is closing");
        }
    }

    private void checkNotClosed() {
        loop.checkInLoop();
        if ((state & CLOSED) != 0) {
            throw new IllegalStateException("connection is closed");
        }
    }
}
