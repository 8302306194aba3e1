// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The inboxes of a loop's connections that threads other than the loop's have asked
 * something of: a lock-free stack that any thread pushes onto and the loop empties each
 * turn. Pushing wakes the loop, at most once until it runs again (see
 * {@link Tasks#wakeup()}), so a burst of foreign writes costs one wake-up.
 */
final class ForeignRequests {
    private final AtomicReference<Inbox> head = new AtomicReference<>();
    private final Tasks tasks;

    ForeignRequests(Tasks tasks) {
        this.tasks = tasks;
    }

    /** Puts {@code inbox} on the stack and wakes the loop. Any thread; never while it is on the stack. */
    void schedule(Inbox inbox) {
        Inbox first;
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
        Inbox inbox = head.getAndSet(null);
        while (inbox != null) {
            Inbox next = inbox.next;
            inbox.next = null;
            inbox.unlist(); // first: a request after this pushes it again, one before is applied now
            inbox.apply();
            inbox = next;
        }
    }
}
