// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.watch;

import java.io.IOException;
import org.epoll4j.Watch;
import org.epoll4j.WatchHandler;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.Interest;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.LoopEvents;
import org.epoll4j.loop.Source;

/**
 * An fd of the application's on a loop: its readiness goes to a {@link WatchHandler}, and
 * the loop never closes it, only takes it out of its epoll set. The API's {@link Watch} is
 * its one final subclass.
 */
public abstract class WatchedFd extends Source {
    protected final Loop loop;
    private final WatchHandler handler;
    /** The trigger's epoll flag (0, EPOLLET or EPOLLONESHOT), or-ed into every registration. */
    private final int trigger;
    private boolean open = true;

    /** A watch of {@code fd} on {@code loop}; {@code trigger} is an {@link Interest} flag. */
    protected WatchedFd(Loop loop, int fd, int interest, int trigger, WatchHandler handler) {
        super(fd, interest | trigger);
        this.loop = loop;
        this.trigger = trigger;
        this.handler = handler;
    }

    /**
     * Checks a watch's arguments before it is made, in this order: the thread and the loop's
     * state, then the fd, then the interest (READ, WRITE, both or 0, without the trigger).
     *
     * @throws IllegalArgumentException if fd is negative, or interest has other bits
     */
    protected static void checkWatch(Loop loop, int fd, int interest) {
        loop.checkCanAdd();
        if (fd < 0) {
            throw new IllegalArgumentException("fd must not be negative: " + fd);
        }
        checkInterest(interest);
    }

    /** Registers {@code watch}, checked by {@link #checkWatch}, with its loop. */
    protected static void register(WatchedFd watch) throws ErrnoException {
        watch.loop.registry().add(watch);
    }

    /** See {@link Watch#interest()}. */
    protected final int interestNow() {
        loop.checkInLoop();
        return interest & (Interest.READ | Interest.WRITE);
    }

    /** See {@link Watch#setInterest}. */
    protected final void changeInterest(int interest) throws ErrnoException {
        boolean call = loop.beginLoopCall();
        try {
            checkOpen();
            checkInterest(interest);
            loop.registry().modify(this, interest | trigger);
        } finally {
            loop.endLoopCall(call);
        }
    }

    /** See {@link Watch#rearm()}. */
    protected final void rearmNow() throws ErrnoException {
        boolean call = loop.beginLoopCall();
        try {
            checkOpen();
            loop.registry().modify(this, interest);
        } finally {
            loop.endLoopCall(call);
        }
    }

    /** See {@link Watch#isOpen()}. */
    protected final boolean isOpenNow() {
        loop.checkInLoop();
        return open;
    }

    /** See {@link Watch#close()}. */
    protected final void closeOnLoop() {
        boolean call = loop.beginLoopCall();
        try {
            closed(null);
        } finally {
            loop.endLoopCall(call);
        }
    }

    @Override
    protected final void ready(int events) {
        LoopEvents.SlowHandler timing = LoopEvents.handlerBegins();
        try {
            handler.onReady(self(), Interest.readiness(events));
            LoopEvents.handlerEnds(timing, handler, "onReady", this);
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError error) {
                throw error;
            }
            String where = "onReady of " + this + (open ? ", which was closed" : "");
            try {
                if (open) {
                    closed(new IOException("onReady threw " + e, e));
                }
            } finally {
                loop.report(where, e); // as ErrorHandler says: once the watch is closed and its onClose ran
            }
        }
    }

    @Override
    protected final void closeWithLoop() {
        closed(null);
    }

    private void closed(IOException cause) {
        if (!open) {
            return;
        }
        open = false;
        loop.registry().delete(this);
        try {
            handler.onClose(self(), cause);
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError error) {
                throw error;
            }
            loop.report("onClose of " + this, e);
        }
    }

    /** This watch as the handler sees it. */
    protected abstract Watch self();

    private void checkOpen() {
        loop.checkInLoop();
        if (!open) {
            throw new IllegalStateException("Watch is closed");
        }
    }

    private static void checkInterest(int interest) {
        if ((interest & ~(Interest.READ | Interest.WRITE)) != 0) {
            throw new IllegalArgumentException("interest must be READ, WRITE, both or 0: " + interest);
        }
    }
}
