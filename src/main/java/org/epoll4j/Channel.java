package org.epoll4j;

import java.io.IOException;
import java.net.InetSocketAddress;
import org.epoll4j.internal.Errno;
import org.epoll4j.internal.Fd;
import org.epoll4j.internal.Socket;

/**
 * The kernel side of a {@link Connection}: what its socket's readiness events do.
 * Reads and hands data to the handler, flushes queued output and disarms EPOLLOUT once
 * it is gone, completes a connect, and turns hang-ups, errors and handler exceptions
 * into a close. The application's side, the public API, is {@link Connection}.
 */
abstract sealed class Channel extends Source permits Connection {
    static final int CONNECTING = 1;
    static final int READ_PAUSED = 1 << 1;
    static final int INPUT_ENDED = 1 << 2;
    static final int CLOSING = 1 << 3;
    static final int SHUTDOWN_PENDING = 1 << 4;
    static final int OUTPUT_SHUT = 1 << 5;
    static final int UNWRITABLE = 1 << 6;
    static final int CLOSED = 1 << 7;
    /** Out of the epoll set: hung up while reading was paused, until reading resumes. */
    static final int PARKED = 1 << 8;
    /* More reads for one event only when the peer has closed: to reach the EOF. */
    private static final int READS_AFTER_HANGUP = 16;

    final EventLoop loop;
    final ConnectionHandler handler;
    int state;
    int interest;
    WriteQueue queue;
    int lowWaterMark = 32 * 1024;
    int highWaterMark = 64 * 1024;
    /** Where a connect is going, for its error message; null once connected. */
    InetSocketAddress connectingTo;

    Channel(EventLoop loop, ConnectionHandler handler, int fd, boolean connecting) {
        super(fd);
        this.loop = loop;
        this.handler = handler;
        this.state = connecting ? CONNECTING : 0;
        this.interest = connecting ? Epoll.OUT : Epoll.IN | Epoll.RDHUP;
    }

    /** This channel as the handler sees it. */
    abstract Connection self();

    int interest() {
        return interest;
    }

    @Override
    void ready(int events) {
        if ((state & CONNECTING) != 0) {
            if ((events & (Epoll.OUT | Epoll.ERR | Epoll.HUP)) != 0) {
                finishConnect(); // the outcome is known only once the socket is writable or failed
            }
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
            } else if ((events & Epoll.ERR) != 0) {
                closeNow(pendingError());
            } else if ((events & Epoll.HUP) != 0) {
                // Not reading, and both directions are shut: EPOLLHUP would be reported on
                // every wait. Paused, the unread input is kept for resumeReading; else it ends.
                if ((state & (READ_PAUSED | INPUT_ENDED)) == READ_PAUSED) {
                    park();
                } else {
                    closeNow(pendingError());
                }
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
            handler.onOpen(self());
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
            if ((state & CLOSING) != 0) {
                continue; // closing: input is read and dropped, so that close(2) sends no RST
            }
            try {
                handler.onData(self(), io.view(n));
            } catch (RuntimeException | Error e) {
                handlerFailed("onData", e);
                return;
            }
        }
    }

    private void endOfInput() {
        state |= INPUT_ENDED;
        updateReadInterest();
        if ((state & CLOSING) != 0) {
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
                discardInput();
                closeNow(null);
                return;
            }
        }
        if ((state & (UNWRITABLE | CLOSING)) == UNWRITABLE && (queue == null ? 0 : queue.size()) <= lowWaterMark) {
            state &= ~UNWRITABLE;
            try {
                handler.onWritable(self());
            } catch (RuntimeException | Error e) {
                handlerFailed("onWritable", e);
            }
        }
    }

    private void finishConnect() {
        int error = pendingErrno();
        if (error != 0) {
            closeNow(Errno.exception("connect(fd=" + fd + ", " + connectingTo + ")", error));
            return;
        }
        state &= ~CONNECTING;
        connectingTo = null;
        setInterest(readInterest() | (queue != null ? Epoll.OUT : 0));
        if ((state & SHUTDOWN_PENDING) != 0 && queue == null) {
            shutdownNow();
        }
        // Closed (or closing) while connecting: the application is done with it; no onOpen.
        if ((state & (CLOSED | CLOSING)) == 0) {
            opened();
        }
    }

    void shutdownNow() {
        state = (state & ~SHUTDOWN_PENDING) | OUTPUT_SHUT;
        try {
            Socket.shutdownOutput(loop.io().capture, fd);
        } catch (ErrnoException e) {
            closeNow(e);
        }
    }

    void updateReadInterest() {
        if ((state & CONNECTING) == 0) { // finishConnect applies it
            setInterest((interest & ~(Epoll.IN | Epoll.RDHUP)) | readInterest());
        }
    }

    /**
     * IN and RDHUP while reading: until the end of input, and unless paused. Closing,
     * pause or not, input is read and dropped (see {@link #discardInput()}).
     */
    int readInterest() {
        boolean reading = (state & INPUT_ENDED) == 0
                && ((state & CLOSING) != 0 || (state & READ_PAUSED) == 0);
        return reading ? Epoll.IN | Epoll.RDHUP : 0;
    }

    /** Takes the fd out of the epoll set; {@link #unpark()} puts it back. */
    private void park() {
        try {
            loop.registry().park(this);
            state |= PARKED;
        } catch (ErrnoException e) {
            closeNow(e);
        }
    }

    /** Puts a parked fd back in the epoll set, with the interest it has now. */
    void unpark() {
        state &= ~PARKED;
        interest = readInterest() | (interest & Epoll.OUT);
        try {
            loop.registry().unpark(this, interest);
        } catch (ErrnoException e) {
            closeNow(e);
        }
    }

    /**
     * Reads and drops what the peer sent and nobody will read, before a graceful
     * close(2): closing a socket with unread input sends RST, and the peer may then
     * lose the end of our output. Errors are ignored: the socket is closing anyway.
     */
    void discardInput() {
        for (int i = 0; i < READS_AFTER_HANGUP; i++) {
            try {
                if (loop.io().read(fd) <= 0) {
                    return;
                }
            } catch (ErrnoException e) {
                return;
            }
        }
    }

    void setInterest(int events) {
        if (events == interest || (state & CLOSED) != 0) {
            return;
        }
        interest = events;
        if ((state & PARKED) != 0) {
            return; // applied by unpark
        }
        try {
            loop.registry().modify(this, events);
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
        loop.registry().remove(this);
        Fd.closeQuietly(loop.io().capture, fd);
        fd = -1;
        try {
            handler.onClose(self(), cause);
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

    void reset() {
        try {
            Socket.setLinger(loop.io().capture, loop.io().scratch, fd, 0);
        } catch (ErrnoException e) {
            // The socket is already dead; close(2) releases it all the same.
        }
    }

    /** The socket's pending error (SO_ERROR) as the cause of a close; null if none. */
    private IOException pendingError() {
        int error = pendingErrno();
        return error == 0 ? null : Errno.exception("getsockopt(fd=" + fd + ", SO_ERROR)", error);
    }

    private int pendingErrno() {
        try {
            return Socket.takeError(loop.io().capture, loop.io().scratch, fd);
        } catch (ErrnoException e) {
            return e.errno();
        }
    }
}
