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

    Source(int fd) {
        this.fd = fd;
    }

    /** Handles ready {@code events} (Epoll flags) of this source's fd. */
    abstract void ready(int events);

    /** Releases the fd without flushing, because the loop is closing. */
    abstract void closeWithLoop();
}
