// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import org.epoll4j.epoll.ErrnoException;

/**
 * One fd held back for the moment the process runs out (EMFILE): given up, it lets a
 * server accept a pending connection and close it, so that the client learns at once
 * and the listening socket stops being readable, instead of the loop spinning on it.
 */
final class FdReserve {
    /** A pending connection was accepted and closed. */
    static final int SHED = 1;
    /** No connection was pending. */
    static final int NONE_PENDING = 0;
    /** No fd could be had: the caller pauses accepting. */
    static final int OUT_OF_FDS = -1;

    private final IoContext io;
    private int fd = -1;

    FdReserve(IoContext io) {
        this.io = io;
    }

    /** Holds an fd back, if none is held yet. */
    void fill() throws ErrnoException {
        if (fd < 0) {
            fd = io.sockets.spareFd();
        }
    }

    /**
     * Frees the reserved fd, accepts one pending connection on {@code listener} and
     * closes it, then reserves an fd again.
     *
     * @return {@link #SHED}, {@link #NONE_PENDING} or {@link #OUT_OF_FDS}
     */
    int shed(int listener) {
        if (fd < 0) {
            try {
                fill(); // lost at an earlier shed: some fd may have been freed since
            } catch (ErrnoException e) {
                return OUT_OF_FDS;
            }
        }
        release();
        int result;
        try {
            int refused = io.sockets.accept(listener);
            if (refused >= 0) {
                io.sys.close(refused);
            }
            result = refused >= 0 ? SHED : NONE_PENDING;
        } catch (ErrnoException e) {
            result = OUT_OF_FDS;
        }
        try {
            fill();
        } catch (ErrnoException e) {
            // Another fd took its place: with nothing in reserve, the server pauses next time.
        }
        return result;
    }

    void release() {
        if (fd >= 0) {
            io.sys.close(fd);
            fd = -1;
        }
    }
}
