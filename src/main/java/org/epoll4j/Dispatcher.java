// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.util.Arrays;
import java.util.function.Consumer;
import org.epoll4j.epoll.EpollEvents;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.EventFd;

/**
 * What a loop does, turn by turn, and at its end; the loop's parts are here:
 * its native side, the registry of its sources, its tasks, the requests of other
 * threads, and its timers. {@link EventLoop} is its API and says who may call what.
 */
final class Dispatcher {
    final IoContext io;
    final Registry registry;
    final Tasks tasks;
    final ForeignRequests foreign;
    final Timers timers = new Timers();
    private final EventLoop loop;
    private final Consumer<Throwable> reporter = this::report;
    /** Sources with output to send at the end of this turn (datagrams, batched). */
    private Source[] flushes = new Source[8];
    private int flushCount;

    Dispatcher(EventLoop loop, IoContext io, EventFd waker) throws ErrnoException {
        this.loop = loop;
        this.io = io;
        this.registry = new Registry(io.epoll);
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
        boolean idle = tasks.isEmpty() && foreign.isEmpty();
        int n = io.epoll.wait(events, idle ? timers.timeoutMillis() : 0);
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
    }

    /** Has {@code source}'s {@link Source#endOfTurn()} run at the end of this turn; once, however often asked. */
    void flushAtEndOfTurn(Source source) {
        if (flushCount == flushes.length) {
            flushes = Arrays.copyOf(flushes, flushCount * 2);
        }
        flushes[flushCount++] = source;
    }

    private void flush() {
        for (int i = 0; i < flushCount; i++) {
            Source source = flushes[i];
            flushes[i] = null;
            try {
                source.endOfTurn();
            } catch (RuntimeException | Error e) {
                if (e instanceof VirtualMachineError error) {
                    throw error;
                }
                report(e);
            }
        }
        flushCount = 0;
    }

    /**
     * The end: runs the tasks taken before the close, closes every source and frees the
     * loop's memory. One failure does not stop the rest; each is reported.
     */
    void release() {
        tasks.close();
        tasks.runAll();
        registry.forEach(source -> Guarded.run(reporter, source::closeWithLoop));
        timers.clear();
        Guarded.closeAll(reporter, io);
    }

    /** Runs a task or timer: what it throws is reported, and the loop goes on. */
    void runTask(Runnable task) {
        Guarded.run(reporter, task);
    }

    /** Reports a failure that belongs to no connection: to the current thread's uncaught exception handler. */
    void report(Throwable e) {
        Thread current = Thread.currentThread();
        current.getUncaughtExceptionHandler().uncaughtException(current, e);
    }
}
