// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import org.epoll4j.epoll.ErrnoException;

/**
 * One fd held back for the moment the process runs out (EMFILE): given up, it lets a
 * server accept a pending connection and end it, so that the client learns at once and
 * the listening socket stops being readable, instead of the loop spinning on it.
 *
 * <p>The refused connection is shut down, not closed, and its fd is the reserve from
 * then on: no fd is free while its client learns and may connect again. An fd is free
 * only between giving up the reserve and the accept that takes it back, and only when a
 * connection is known to wait; another thread of the process (another loop's accept)
 * may take it then. The server then pauses, and fills the reserve at its next attempt.
 */
public final class FdReserve {
    /** A pending connection was accepted and shut down. */
    public static final int REFUSED = 1;
    /** No connection was pending. */
    static final int NONE_PENDING = 0;
    /** No fd could be had: the caller pauses accepting. */
    public static final int OUT_OF_FDS = -1;

    private final IoContext io;
    private int fd = -1;

    FdReserve(IoContext io) {
        this.io = io;
    }

    /** Holds an fd back, if none is held yet. */
    public void fill() throws ErrnoException {
        if (fd < 0) {
            fd = io.sockets.spareFd();
        }
    }

    /**
     * Frees the reserved fd, accepts one pending connection on {@code listener} with it and
     * shuts the connection down, keeping its fd as the reserve.
     *
     * @return {@link #REFUSED}, {@link #NONE_PENDING} or {@link #OUT_OF_FDS}
     */
    public int refuse(int listener) {
        if (fd < 0) {
            try {
                fill(); // lost at an earlier refusal: some fd may have been freed since
            } catch (ErrnoException e) {
                return OUT_OF_FDS;
            }
        }
        release();
        int accepted;
        try {
            accepted = io.sockets.accept(listener);
        } catch (ErrnoException e) {
            accepted = -1; // that connection failed, or another thread took the freed fd
        }
        if (accepted >= 0) {
            fd = accepted;
            try {
                io.sockets.shutdown(accepted);
            } catch (ErrnoException e) {
                // Already reset by its client: it has learnt.
            }
            return REFUSED;
        }
        try {
            fill();
            return NONE_PENDING;
        } catch (ErrnoException e) {
            return OUT_OF_FDS;
        }
    }

    void release() {
        if (fd >= 0) {
            io.sys.close(fd);
            fd = -1;
        }
    }
}
