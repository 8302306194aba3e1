// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import org.epoll4j.ErrorHandler;
import org.epoll4j.EventLoop;
import org.epoll4j.LoopMetrics;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.EventFd;
import org.epoll4j.kernel.Syscalls;

/**
 * The engine behind one {@link EventLoop}: its thread's life cycle and the calls that
 * transports make on it. {@link EventLoop} is its API, and says who may call what; the
 * transports (in {@code org.epoll4j.transport}) reach the loop through this class, and
 * the loop reaches them only as {@link Source}s.
 */
public final class Loop {
    static {
        Preload.library();
    }

    private final EventLoop api;
    private final Dispatcher dispatcher;
    private final Lifecycle lifecycle = new Lifecycle();

    private Loop(EventLoop api, IoContext io, EventFd waker) throws ErrnoException {
        this.api = api;
        this.dispatcher = new Dispatcher(this, io, waker);
    }

    /**
     * Opens the engine of {@code api}, owned by the calling thread until {@link #run()}.
     * Only epoll4j's own classes may: a loop's parts make raw system calls.
     *
     * @param caller {@code MethodHandles.lookup()} of the calling class
     * @throws ErrnoException EMFILE, ENFILE or ENOMEM
     * @throws IllegalCallerException if the caller is not one of epoll4j's classes
     */
    public static Loop open(MethodHandles.Lookup caller, EventLoop api) throws ErrnoException {
        Syscalls.checkCaller(caller);
        IoContext io = IoContext.open();
        EventFd waker = null;
        try {
            waker = EventFd.open();
            return new Loop(api, io, waker);
        } catch (ErrnoException | RuntimeException | Error e) {
            Guarded.closeAll(e::addSuppressed, waker, io);
            throw e;
        }
    }

    /** The loop's API, which handlers see. */
    public EventLoop api() {
        return api;
    }

    /** See {@link EventLoop#run()}. */
    public void run() {
        lifecycle.enter();
        dispatcher.counters.running();
        try {
            while (!lifecycle.isStopping()) {
                dispatcher.turn();
            }
        } catch (ErrnoException e) {
            throw new UncheckedIOException(e);
        } finally {
            dispatcher.counters.stopped();
            try {
                if (lifecycle.exit()) {
                    release();
                }
            } finally {
                lifecycle.left();
            }
        }
    }

    /** See {@link EventLoop#stop()}. */
    public void stop() {
        lifecycle.stop();
        dispatcher.tasks.wakeup();
    }

    /** See {@link EventLoop#execute}. */
    public void execute(Runnable task) {
        // Only a task from inside run() may skip the wake-up: the loop checks for tasks
        // before it waits again. Any other caller may race with run() taking over.
        dispatcher.tasks.add(task, lifecycle.isRunningOn(Thread.currentThread()));
    }

    /** See {@link EventLoop#close()}. */
    public void close() {
        closeAsync();
        if (!Lifecycle.onAnyLoopThread()) {
            lifecycle.awaitReleased();
        }
    }

    /** See {@link EventLoop#closeAsync()}. */
    public CompletionStage<Void> closeAsync() {
        // First: whoever releases the loop must find no task taken after the close.
        dispatcher.tasks.close();
        switch (lifecycle.requestClose()) {
            case RELEASE_HERE -> release();
            case STOP_RUNNER -> stop();
            case ALREADY, HELD -> {
                // Asked before, or asked inside a call that releases the loop when it returns.
            }
        }
        return lifecycle.released();
    }

    /** See {@link EventLoop#metrics()}. */
    public LoopMetrics metrics() {
        return dispatcher.counters.snapshot(dispatcher.tasks.wakeups());
    }

    /** See {@link EventLoop#setErrorHandler}. */
    public void setErrorHandler(ErrorHandler handler) {
        dispatcher.errorHandler(Objects.requireNonNull(handler, "handler"));
    }

    /** Whether the loop is neither closing nor closed. Any thread. */
    public boolean isOpen() {
        return !lifecycle.isClosing();
    }

    /** Whether the current thread is the loop's: the one that may call every method. Any thread. */
    public boolean inLoop() {
        return lifecycle.isOwner();
    }

    /** Whether the calling thread runs any loop's {@link #run()}, or closes a loop. */
    public static boolean onAnyLoopThread() {
        return Lifecycle.onAnyLoopThread();
    }

    public void checkInLoop() {
        lifecycle.checkOwner();
    }

    /**
     * Whether the calling thread runs or releases the loop, and so may act on it at once.
     * Otherwise a call that any thread may make acts at once only as an owner's call
     * ({@link #beginOwnerCall}); else it goes through the loop's tasks or a connection's
     * inbox.
     */
    public boolean isLoopThreadNow() {
        return lifecycle.isActingOn(Thread.currentThread());
    }

    /**
     * Begins a call that any thread may make, on the owner's thread while the loop does not
     * run: run() begun on another thread meanwhile waits until {@link #endOwnerCall()}.
     * Returns false if this thread may not act on the loop.
     */
    public boolean beginOwnerCall() {
        return lifecycle.beginOwnerCall();
    }

    /** Ends that call: releases the loop if a close was asked for meanwhile. */
    public void endOwnerCall() {
        if (lifecycle.endOwnerCall()) {
            release();
        }
    }

    /**
     * Begins a call that only the loop's thread may make and that acts on its sources
     * (listen, connect, watch, a watch's or endpoint's close, a send): checks the thread,
     * and while nobody runs the loop counts the call as an owner's
     * ({@link #beginOwnerCall}), which a close from another thread waits for. Returns
     * whether {@link #endOwnerCall()} must end it.
     *
     * @throws WrongThreadException from another thread
     * @throws IllegalStateException once the loop is released, or another thread releases it
     */
    public boolean beginLoopCall() {
        if (lifecycle.isRunningOn(Thread.currentThread())) {
            return false; // as a handler, task or timer: nothing to hold back
        }
        checkInLoop();
        if (beginOwnerCall()) {
            return true;
        }
        if (!isLoopThreadNow()) {
            throw new IllegalStateException("EventLoop is closed"); // by another thread, just now
        }
        return false;
    }

    /** Ends a call that {@link #beginLoopCall()} began; {@code call} is what it returned. */
    public void endLoopCall(boolean call) {
        if (call) {
            endOwnerCall();
        }
    }

    /** Runs {@code action} as an owner's call ({@link #beginOwnerCall}); returns false, having run nothing, if it may not. */
    public boolean runAsOwner(Runnable action) {
        if (!beginOwnerCall()) {
            return false;
        }
        try {
            action.run();
        } finally {
            endOwnerCall();
        }
        return true;
    }

    public IoContext io() {
        return dispatcher.io;
    }

    public Registry registry() {
        return dispatcher.registry;
    }

    public ForeignRequests foreign() {
        return dispatcher.foreign;
    }

    public Tasks tasks() {
        return dispatcher.tasks;
    }

    public Dispatcher dispatcher() {
        return dispatcher;
    }

    public Timers timers() {
        return dispatcher.timers;
    }

    /** Source-making calls: on the loop's thread, and not while the loop closes its sources. */
    public void checkCanAdd() {
        checkInLoop();
        if (lifecycle.isReleasing()) {
            throw new IllegalStateException("EventLoop is closing");
        }
    }

    /** A call on the loop's thread that the release must wait for begins (see {@link Lifecycle#hold()}). */
    public void holdRelease() {
        lifecycle.hold();
    }

    /** That call ends: releases the loop if a close was asked for meanwhile. */
    public void endHold() {
        if (lifecycle.unhold()) {
            release();
        }
    }

    /** Runs {@code task}, a task or a timer as {@code what} says: what it throws is reported. */
    public void runTask(Runnable task, String what) {
        dispatcher.runTask(task, what);
    }

    /** Reports to the loop's {@link ErrorHandler} that {@code where} failed with {@code e}. */
    public void report(String where, Throwable e) {
        dispatcher.report(where, e);
    }

    public Counters counters() {
        return dispatcher.counters;
    }

    /** The loop's clock ({@link System#nanoTime}) as of the first time it was asked in this turn. Loop thread. */
    public long now() {
        return dispatcher.now();
    }

    /** Releases the loop on the calling thread, which is the loop's from now on: handlers' onClose run here. */
    private void release() {
        lifecycle.releasing();
        try {
            dispatcher.release();
        } finally {
            lifecycle.releasedNow();
        }
    }
}
