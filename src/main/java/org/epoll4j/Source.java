// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

/**
 * A file descriptor registered with an {@link EventLoop}: a connection, a server,
 * or the loop's waker. The loop hands it the events of its fd.
 */
abstract class Source {
    /** The fd, -1 once closed. */
    int fd;
    /** The slot in the loop's registry; its epoll data is the slot and a generation. */
    int slot = -1;
    /** What the fd is registered for ({@link Interest} flags). */
    int interest;

    Source(int fd, int interest) {
        this.fd = fd;
        this.interest = interest;
    }

    /** Handles ready {@code events} (epoll's flags: see {@link Interest}) of this source's fd. */
    abstract void ready(int events);

    /** Releases the fd without flushing, because the loop is closing. */
    abstract void closeWithLoop();

    /** Sends what this turn left to send, if the source asked for it (see {@link Dispatcher#flushAtEndOfTurn}). */
    void endOfTurn() {}
}
