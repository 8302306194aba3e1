// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import org.epoll4j.epoll.Epoll;

/**
 * What a source wants to hear about, and what its fd reported: the one place where the
 * loop translates between its own terms and epoll's flags.
 */
public final class Interest {
    /** No event: the fd stays in the set, quiet (hang-ups and errors are still reported). */
    public static final int NONE = 0;
    /** Input, and the peer's end of input. */
    public static final int READ = 1;
    /** Room to write, or a connect's outcome. */
    public static final int WRITE = 2;
    /** Reported once per change of readiness, not while it lasts (EPOLLET). */
    public static final int EDGE = 4;
    /** Reported once, then not again until re-armed (EPOLLONESHOT). */
    public static final int ONE_SHOT = 8;
    /** Readiness: an error condition (EPOLLERR). */
    public static final int ERROR = 4;
    /** Readiness: hung up, or the peer closed its end (EPOLLHUP, EPOLLRDHUP). */
    public static final int HANGUP = 8;

    private static final int READ_EVENTS = Epoll.IN | Epoll.RDHUP;
    private static final int CLOSED_EVENTS = Epoll.HUP | Epoll.RDHUP | Epoll.ERR;

    private Interest() {}

    /** The epoll events that {@code interest} (with its trigger) registers for. */
    static int epollEvents(int interest) {
        return ((interest & READ) != 0 ? READ_EVENTS : 0) | ((interest & WRITE) != 0 ? Epoll.OUT : 0)
                | ((interest & EDGE) != 0 ? Epoll.ET : 0) | ((interest & ONE_SHOT) != 0 ? Epoll.ONESHOT : 0);
    }

    /** What {@code events} reports, in {@link #READ}, {@link #WRITE}, {@link #ERROR} and {@link #HANGUP}. */
    public static int readiness(int events) {
        return ((events & Epoll.IN) != 0 ? READ : 0) | ((events & Epoll.OUT) != 0 ? WRITE : 0)
                | ((events & Epoll.ERR) != 0 ? ERROR : 0) | ((events & (Epoll.HUP | Epoll.RDHUP)) != 0 ? HANGUP : 0);
    }

    /** Whether {@code events} has input to read. */
    public static boolean readable(int events) {
        return (events & Epoll.IN) != 0;
    }

    /** Whether {@code events} has room to write. */
    public static boolean writable(int events) {
        return (events & Epoll.OUT) != 0;
    }

    /** Whether {@code events} says the peer closed, the connection hung up or failed. */
    public static boolean closed(int events) {
        return (events & CLOSED_EVENTS) != 0;
    }

    /** Whether {@code events} has an error (EPOLLERR: read it with SO_ERROR). */
    public static boolean failed(int events) {
        return (events & Epoll.ERR) != 0;
    }

    /** Whether {@code events} is a full hang-up: both directions are shut. */
    public static boolean hungUp(int events) {
        return (events & Epoll.HUP) != 0;
    }

    /** Whether {@code events} settles a connect: writable, or failed. */
    public static boolean connectSettled(int events) {
        return (events & (Epoll.OUT | Epoll.ERR | Epoll.HUP)) != 0;
    }
}
