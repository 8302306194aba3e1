// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The inboxes of a loop's connections that threads other than the loop's have asked
 * something of: a lock-free stack that any thread pushes onto and the loop empties each
 * turn. Pushing wakes the loop, at most once until it runs again (see
 * {@link Tasks#wakeup()}), so a burst of foreign writes costs one wake-up.
 */
public final class ForeignRequests {
    /**
     * What other threads asked of one source, which the loop applies in a turn of its
     * own: a connection's inbox.
     */
    public abstract static class Request {
        /** The next on the stack; written before the push that publishes it. */
        private Request next;

        /** The loop has taken this off its stack: the next request puts it back. Loop thread. */
        protected abstract void unlist();

        /** Applies what was asked, in the order it was. Loop thread. */
        protected abstract void apply();
    }

    private final AtomicReference<Request> head = new AtomicReference<>();
    private final Tasks tasks;

    ForeignRequests(Tasks tasks) {
        this.tasks = tasks;
    }

    /** Puts {@code inbox} on the stack and wakes the loop. Any thread; never while it is on the stack. */
    public void schedule(Request inbox) {
        Request first;
        do {
            first = head.get();
            inbox.next = first;
        } while (!head.compareAndSet(first, inbox));
        tasks.wakeup();
    }

    boolean isEmpty() {
        return head.get() == null;
    }

    /** Applies every inbox on the stack. Loop thread. */
    void applyAll() {
        Request inbox = head.getAndSet(null);
        while (inbox != null) {
            Request next = inbox.next;
            inbox.next = null;
            inbox.unlist(); // first: a request after this pushes it again, one before is applied now
            inbox.apply();
            inbox = next;
        }
    }
}
