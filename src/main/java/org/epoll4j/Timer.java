package org.epoll4j;

/**
 * A task scheduled on an {@link EventLoop} with {@link EventLoop#schedule}; it runs
 * once, on the loop's thread, unless cancelled first.
 *
 * {@snippet :
 * Timer idle = loop.schedule(Duration.ofSeconds(30), connection::close);
 * // ... data arrived: put it off
 * idle.cancel();
 * }
 *
 * <p>Notes: timers run no earlier than their deadline, in deadline order, and in the
 * order they were scheduled when deadlines are equal. Every method belongs to the
 * loop's thread.
 */
public final class Timer {
    final long deadline;
    final long sequence;
    final Runnable task;
    private final EventLoop loop;
    private boolean done;

    Timer(EventLoop loop, long deadline, long sequence, Runnable task) {
        this.loop = loop;
        this.deadline = deadline;
        this.sequence = sequence;
        this.task = task;
    }

    /** Cancels the timer; returns false if it had already run or been cancelled. */
    public boolean cancel() {
        loop.checkInLoop();
        if (done) {
            return false;
        }
        done = true;
        loop.timers().cancelled();
        return true;
    }

    /** Whether the timer has run or been cancelled. */
    public boolean isDone() {
        loop.checkInLoop();
        return done;
    }

    /** Whether the timer has run or been cancelled, for the loop's own use. */
    boolean done() {
        return done;
    }

    /** Marks the timer as run; returns false if it was cancelled. */
    boolean fire() {
        if (done) {
            return false;
        }
        done = true;
        return true;
    }
}
