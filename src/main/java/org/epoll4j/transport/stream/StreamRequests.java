// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.nio.ByteBuffer;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.HandlerFactory;
import org.epoll4j.loop.Loop;

/**
 * The requests of a {@link Connection} that any thread may make: on the loop's thread
 * they act at once, from the loop's owner before {@code run()} too, and from other
 * threads they go through the connection's {@link Inbox}, in the order they were made.
 */
public abstract non-sealed class StreamRequests extends StreamOutput {
    protected StreamRequests(Loop loop, ConnectionHandler handler, HandlerFactory handlers, int fd, boolean connected) {
        super(loop, handler, handlers, fd, connected);
    }

    /**
     * {@link Connection#write} from a thread that does not run the loop: at once from its
     * owner before run(), else through the inbox. (On the loop's thread, Connection calls
     * {@link #foreignFirst} and {@link #accept} itself: a call level more there, and C2
     * no longer inlines the native write deep enough to drop its MemorySegment.)
     */
    protected final boolean writeElsewhere(ByteBuffer src) {
        if (!loop.beginOwnerCall()) {
            return inbox().write(src);
        }
        try {
            foreignFirst(false);
            return accept(src);
        } finally {
            loop.endOwnerCall();
        }
    }

    /** See {@link Connection#pauseReading}. */
    protected final void pauseAnyThread() {
        if (loop.isLoopThreadNow()) {
            pauseNow();
        } else if (!loop.runAsOwner(this::pauseNow)) {
            inbox().pauseReading();
        }
    }

    private void pauseNow() {
        foreignFirst(false);
        pause();
    }

    /** See {@link Connection#resumeReading}. */
    protected final void resumeAnyThread() {
        if (loop.isLoopThreadNow()) {
            resumeNow();
        } else if (!loop.runAsOwner(this::resumeNow)) {
            inbox().resumeReading();
        }
    }

    private void resumeNow() {
        foreignFirst(false);
        resume();
    }

    /** See {@link Connection#shutdownOutput}. */
    protected final void shutdownOutputAnyThread() {
        if (loop.isLoopThreadNow()) {
            shutdownOutputNow();
        } else if (!loop.runAsOwner(this::shutdownOutputNow)) {
            inbox().shutdownOutput();
        }
    }

    private void shutdownOutputNow() {
        foreignFirst(true);
        requestShutdownOutput();
    }

    /** See {@link Connection#close}. */
    protected final void closeAnyThread() {
        if (loop.isLoopThreadNow()) {
            closeNow();
        } else if (!loop.runAsOwner(this::closeNow)) {
            inbox().close();
        }
    }

    private void closeNow() {
        foreignFirst(true);
        requestClose();
    }

    /** See {@link Connection#abort}. */
    protected final void abortAnyThread() {
        if (loop.isLoopThreadNow()) {
            abortNow();
        } else if (!loop.runAsOwner(this::abortNow)) {
            inbox().abort();
        }
    }

    private void abortNow() {
        closed(null, true);
    }
}
