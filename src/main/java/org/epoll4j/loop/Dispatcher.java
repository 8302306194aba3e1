// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.util.Arrays;
import org.epoll4j.ErrorHandler;
import org.epoll4j.EventLoop;
import org.epoll4j.epoll.EpollEvents;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.EventFd;

/**
 * What a loop does, turn by turn, and at its end; the loop's parts are here:
 * its native side, the registry of its sources, its tasks, the requests of other
 * threads, and its timers. {@link EventLoop} is its API and says who may call what.
 */
public final class Dispatcher {
    final IoContext io;
    final Registry registry;
    final Tasks tasks;
    final ForeignRequests foreign;
    final Timers timers = new Timers();
    final Counters counters = new Counters();
    private final Loop loop;
    private volatile ErrorHandler errorHandler = ErrorHandler.systemLogger();
    /** How long this turn's epoll_wait blocked, in nanoseconds; 0 if it could not block. */
    private long waited;
    /** Tasks run before this turn's, while a recording times the turn. */
    private long tasksBefore;
    /** The loop's clock for this turn (see {@link #now()}), read once, when first asked. */
    private long now;
    private boolean nowRead;
    /** Sources with output to send at the end of this turn (datagrams, batched). */
    private Source[] flushes = new Source[8];
    private int flushCount;

    Dispatcher(Loop loop, IoContext io, EventFd waker) throws ErrnoException {
        this.loop = loop;
        this.io = io;
        this.registry = new Registry(io.epoll, counters);
        this.tasks = new Tasks(loop, waker);
        this.foreign = new ForeignRequests(tasks);
        registry.add(tasks);
    }

    /**
     * One turn: waits for events (not at all if work is waiting; else until the next
     * timer), hands each to its source, then applies other threads' requests and runs the
     * timers that are due and the tasks queued so far.
     */
    void turn() throws ErrnoException {
        EpollEvents events = io.events;
        boolean idle = tasks.isEmpty() && foreign.isEmpty() && !timers.hasIncoming() && flushCount == 0;
        int n = idle ? waitIdle(events) : io.epoll.wait(events, 0);
        nowRead = false;
        counters.turn();
        LoopEvents.LongTurn timing = LoopEvents.timingTurns() ? turnBegins() : null;
        for (int i = 0; i < n; i++) {
            Source source = registry.find(events.data(i));
            if (source != null) {
                source.ready(events.events(i));
            }
        }
        foreign.applyAll();
        timers.runDue(loop);
        tasks.runQueued();
        flush();
        if (timing != null) {
            turnEnds(timing, n);
        }
        waited = 0;
    }

    /** Waits for events until the next timer, if any, counting the time as idle. */
    private int waitIdle(EpollEvents events) throws ErrnoException {
        int timeout = timers.timeoutMillis();
        if (timeout == 0) {
            return io.epoll.wait(events, 0);
        }
        counters.waitBegins();
        try {
            return io.epoll.wait(events, timeout);
        } finally {
            waited = counters.waitEnds();
        }
    }

    private LoopEvents.LongTurn turnBegins() {
        LoopEvents.LongTurn timing = new LoopEvents.LongTurn();
        timing.begin();
        tasksBefore = counters.tasks();
        return timing;
    }

    private void turnEnds(LoopEvents.LongTurn timing, int events) {
        timing.end();
        if (timing.shouldCommit()) {
            timing.waitTime = waited;
            timing.events = events;
            timing.tasksRun = counters.tasks() - tasksBefore;
            timing.commit();
        }
    }

    /**
     * {@link System#nanoTime}, as of the first time it is asked in this turn: a clock for
     * what notes activity often (a connection's idle timeouts), at most one read a turn.
     */
    long now() {
        if (!nowRead) {
            now = System.nanoTime();
            nowRead = true;
        }
        return now;
    }

    /** Has {@code source}'s {@link Source#endOfTurn()} run at the end of this turn; once, however often asked. */
    public void flushAtEndOfTurn(Source source) {
        if (flushCount == flushes.length) {
            flushes = Arrays.copyOf(flushes, flushCount * 2);
        }
        flushes[flushCount++] = source;
    }

    /**
     * Runs the end of turn of the sources that asked for it during the turn. Those that ask
     * while these run (a handler called from one asks again) wait for the next turn, whose
     * wait then does not block: asked again and again, they cannot keep this turn from ending.
     */
    private void flush() {
        int asked = flushCount;
        for (int i = 0; i < asked; i++) {
            Source source = flushes[i];
            flushes[i] = null;
            try {
                source.endOfTurn();
            } catch (RuntimeException | Error e) {
                if (e instanceof VirtualMachineError error) {
                    throw error;
                }
                report("the end-of-turn flush of " + source, e);
            }
        }
        int later = flushCount - asked;
        System.arraycopy(flushes, asked, flushes, 0, later);
        Arrays.fill(flushes, later, flushCount, null);
        flushCount = later;
    }

    /**
     * The end: runs the tasks taken before the close, closes every source and frees the
     * loop's memory. One failure does not stop the rest; each is reported.
     */
    void release() {
        tasks.close();
        tasks.runAll();
        registry.forEach(source -> Guarded.run(e -> report("closing " + source + " with the loop", e),
                source::closeWithLoop));
        timers.clear();
        Guarded.closeAll(e -> report("freeing the loop's memory", e), io);
    }

    /** Runs a task or timer ({@code what}): what it throws is reported, and the loop goes on. */
    void runTask(Runnable task, String what) {
        counters.taskRan();
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError error) {
                throw error;
            }
            report(what, e);
        }
    }

    void errorHandler(ErrorHandler handler) {
        errorHandler = handler;
    }

    /**
     * Reports a failure that no caller catches to the loop's {@link ErrorHandler};
     * what that throws goes to the current thread's uncaught exception handler. Nothing
     * leaves but a VirtualMachineError: the loop goes on.
     */
    void report(String where, Throwable e) {
        try {
            errorHandler.onError(where, e);
        } catch (RuntimeException | Error failure) {
            if (failure instanceof VirtualMachineError error) {
                throw error;
            }
            if (failure != e) { // a handler that rethrows what it is given: no self-suppression
                failure.addSuppressed(e);
            }
            Thread current = Thread.currentThread();
            try {
                current.getUncaughtExceptionHandler().uncaughtException(current, failure);
            } catch (RuntimeException | Error thrown) {
                if (thrown instanceof VirtualMachineError error) {
                    throw error;
                }
                // The JDK ignores what an uncaught exception handler throws; so does the loop.
            }
        }
    }
}
