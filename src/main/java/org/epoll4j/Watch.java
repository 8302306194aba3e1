// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.io.IOException;
import java.util.Objects;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.Interest;
import org.epoll4j.loop.Loop;
import org.epoll4j.transport.watch.WatchedFd;

/**
 * A file descriptor of the application's, watched by an {@link EventLoop}: a pipe, a
 * timerfd, a signalfd, inotify, a socket made elsewhere. Its handler hears when it is
 * ready; the application does the reading and writing, and owns the fd: the loop never
 * closes it.
 *
 * {@snippet class="org.epoll4j.snippets.WatchSnippets" region="watch"}
 *
 * <p>where {@code timer} is a timerfd of the application's. Then, on the loop's thread:
 *
 * {@snippet class="org.epoll4j.snippets.WatchSnippets" region="watch-close"}
 *
 * <p>Notes:
 * <ul>
 * <li>Threading: every method belongs to the loop's thread, as the handler does.
 * <li>Triggering is chosen per watch: {@link Trigger#LEVEL} reports the fd again and
 *     again while it stays ready (every turn, or every pass over the ready fds when more
 *     than a turn's 256 are); {@link Trigger#EDGE} once per change, so the handler must read
 *     (or write) until it would block; {@link Trigger#ONE_SHOT} once, then not again until
 *     {@link #rearm()}.
 * <li>{@link #ERROR} and {@link #HANGUP} are reported whatever the interest.
 * <li>Close the watch before the fd: once closed, an fd number may be taken by another fd,
 *     even one of the loop's, and closing the watch then would take that one out of the
 *     loop. An event that the kernel had reported for the fd before the watch closed never
 *     reaches a handler.
 * <li>An exception thrown by the handler closes the watch; its {@code onClose} gets an
 *     IOException whose cause is the exception.
 * </ul>
 */
public final class Watch extends WatchedFd {
    /** Interest and readiness: the fd has input (EPOLLIN). */
    public static final int READ = Interest.READ;
    /** Interest and readiness: the fd takes output (EPOLLOUT). */
    public static final int WRITE = Interest.WRITE;
    /** Readiness only: an error condition (EPOLLERR). */
    public static final int ERROR = Interest.ERROR;
    /** Readiness only: hung up, or a socket's peer closed its end (EPOLLHUP, EPOLLRDHUP). */
    public static final int HANGUP = Interest.HANGUP;

    /**
     * When a ready fd is reported.
     *
     * {@snippet class="org.epoll4j.snippets.WatchSnippets" region="edge"}
     */
    public enum Trigger {
        /** Again and again while it is ready (level-triggered). */
        LEVEL(0),
        /** Once each time it becomes ready (edge-triggered, EPOLLET). */
        EDGE(Interest.EDGE),
        /** Once, then not again until {@link Watch#rearm()} (EPOLLONESHOT). */
        ONE_SHOT(Interest.ONE_SHOT);

        final int flag;

        Trigger(int flag) {
            this.flag = flag;
        }
    }

    private Watch(Loop loop, int fd, int interest, Trigger trigger, WatchHandler handler) {
        super(loop, fd, interest, trigger.flag, handler);
    }

    /** Watches {@code fd} on {@code loop}; see {@link EventLoop#watch}. */
    static Watch open(Loop loop, int fd, int interest, Trigger trigger, WatchHandler handler)
            throws ErrnoException {
        boolean call = loop.beginLoopCall();
        try {
            checkWatch(loop, fd, interest);
            Watch watch = new Watch(loop, fd, interest, Objects.requireNonNull(trigger, "trigger"),
                    Objects.requireNonNull(handler, "handler"));
            register(watch);
            return watch;
        } finally {
            loop.endLoopCall(call);
        }
    }

    /**
     * The fd watched.
     *
     * @return the fd given to {@link EventLoop#watch}, still once the watch is closed
     */
    public int fd() {
        return fd;
    }

    /**
     * The loop that watches it. Any thread.
     *
     * @return the loop whose thread calls the handler
     */
    public EventLoop loop() {
        return loop.api();
    }

    /**
     * What the fd is watched for.
     *
     * @return {@link #READ}, {@link #WRITE}, both (or-ed), or none (0)
     */
    public int interest() {
        return interestNow();
    }

    /**
     * Watches the fd for {@code interest} instead: {@link #READ}, {@link #WRITE}, both, or
     * none (0; errors and hang-ups are still reported). Re-arms a one-shot watch.
     *
     * @param interest {@link #READ}, {@link #WRITE}, both (or-ed), or 0
     * @throws IllegalArgumentException if interest has other bits
     * @throws IllegalStateException if the watch is closed
     * @throws ErrnoException as epoll_ctl(2) (EBADF: the fd was closed before its watch)
     */
    public void setInterest(int interest) throws ErrnoException {
        changeInterest(interest);
    }

    /**
     * Reports the fd again after a {@link Trigger#ONE_SHOT} report (on any watch, a
     * re-registration that does nothing else).
     *
     * @throws IllegalStateException if the watch is closed
     * @throws ErrnoException as epoll_ctl(2)
     */
    public void rearm() throws ErrnoException {
        rearmNow();
    }

    /**
     * Whether the watch is open.
     *
     * @return false once closed: by {@link #close()}, by its handler's exception, or with
     *     the loop
     */
    public boolean isOpen() {
        return isOpenNow();
    }

    /**
     * Stops watching: the fd leaves the loop's epoll set (it stays open: it is the
     * application's), and the handler's {@code onClose} runs, with a null cause. Idempotent.
     */
    public void close() {
        closeOnLoop();
    }

    @Override
    public String toString() {
        return "Watch of fd " + fd;
    }

    @Override
    protected Watch self() {
        return this;
    }
}
