// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import org.epoll4j.EventLoop;

/**
 * A file descriptor registered with an {@link EventLoop}: a connection, a server,
 * or the loop's waker. The loop hands it the events of its fd.
 */
public abstract class Source {
    /** The fd, -1 once closed. */
    protected int fd;
    /** The slot in the loop's registry; its epoll data is the slot and a generation. */
    protected int slot = -1;
    /** What the fd is registered for ({@link Interest} flags). */
    protected int interest;

    protected Source(int fd, int interest) {
        this.fd = fd;
        this.interest = interest;
    }

    /** Handles ready {@code events} (epoll's flags: see {@link Interest}) of this source's fd. */
    protected abstract void ready(int events);

    /** Releases the fd without flushing, because the loop is closing. */
    protected abstract void closeWithLoop();

    /** Sends what this turn left to send, if the source asked for it (see {@link Dispatcher#flushAtEndOfTurn}). */
    protected void endOfTurn() {}

    /** Whether this is a connection, which the loop's metrics count. */
    protected boolean isConnection() {
        return false;
    }
}
