package org.epoll4j;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import org.epoll4j.epoll.ErrnoException;

/**
 * The output side of a {@link Connection}: what {@code write} takes, the queue of what
 * the kernel has not taken yet, the water marks, the output limit, the FIN of
 * {@code shutdownOutput}, and the deadline of a graceful close. Its facts are its own
 * fields; the connection's state is {@link StreamChannel}'s.
 */
abstract sealed class StreamOutput extends StreamInput permits Connection {
    /** Null while nothing is queued. */
    private WriteQueue queue;
    /** Queued output went above the high-water mark and has not come below the low one. */
    private boolean unwritable;
    /** The application shut output down: no more writes; FIN goes once the queue is empty. */
    private boolean outputShutdown;
    private Limits limits = Limits.DEFAULTS;

    StreamOutput(EventLoop loop, ConnectionHandler handler, int fd, boolean connected) {
        super(loop, handler, fd, connected);
    }

    /** Takes {@code src}'s remaining bytes, written or queued; false if output is closed or this failed. */
    final boolean accept(ByteBuffer src) {
        if (state() != State.OPEN || outputShutdown) {
            return false;
        }
        int start = src.position();
        if (queue == null && isConnected() && src.hasRemaining()) {
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
        return state() == State.OPEN;
    }

    final void requestShutdownOutput() {
        if (state() == State.OPEN && !outputShutdown) {
            outputShutdown = true;
            if (queue == null && isConnected()) {
                shutdownNow();
            }
        }
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

    @Override
    final boolean hasQueuedOutput() {
        return queue != null;
    }

    @Override
    final void connectedOutput() {
        if (outputShutdown && queue == null) {
            shutdownNow();
        }
    }

    @Override
    final void closing() {
        queue.closeDeadline = loop.schedule(limits.closeTimeout, this::closeTimedOut);
    }

    @Override
    final void dropOutput() {
        if (queue != null) {
            queue.clear(loop.io());
            queue = null;
        }
    }

    /** The socket is writable: hands the kernel what it takes, and follows up on what went. */
    @Override
    final void flush() {
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
            dropOutput();
            if (state() == State.CLOSING) {
                finishClose();
                return;
            }
            if (outputShutdown) {
                shutdownNow();
            }
            updateInterest();
        }
        if (unwritable && left <= limits.lowWaterMark && state() == State.OPEN) {
            unwritable = false;
            try {
                handler.onWritable(self());
            } catch (RuntimeException | Error e) {
                handlerFailed("onWritable", e);
            }
        }
    }

    private void closeTimedOut() {
        if (state() == State.CLOSING) {
            closed(new SocketTimeoutException("close timed out after " + limits.closeTimeout + " with "
                    + queued() + " bytes unsent; the connection was reset"), true);
        }
    }

    private void shutdownNow() {
        try {
            loop.io().sys.shutdownOutput(fd);
        } catch (ErrnoException e) {
            closed(e, false);
        }
    }
}
