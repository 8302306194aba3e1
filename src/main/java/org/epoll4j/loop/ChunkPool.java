// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import org.epoll4j.kernel.Syscalls;

/**
 * Fixed-size chunks of native memory that hold queued output, from malloc(3). Up to
 * {@link #MAX_POOLED} returned chunks are kept for reuse; the rest are freed at once,
 * so that a burst of queued output does not stay allocated once it has gone out (an
 * arena could only free it all together, when the loop closes).
 *
 * <p>Each chunk is a view scoped to the loop's arena: once the loop is closed, a stale
 * reference to one throws instead of touching freed memory. Every chunk handed out comes
 * back before {@link #close()} (connections clear their queues first).
 *
 * <p>Any thread: other threads' writes copy into chunks as they write (see the stream transport's inbox).
 */
public final class ChunkPool implements AutoCloseable {
    public static final int CHUNK_SIZE = 16 * 1024;
    /** 4 MiB kept for reuse. */
    public static final int MAX_POOLED = 256;

    private final Syscalls sys;
    private final Arena scope;
    private final ArrayDeque<MemorySegment> pooled = new ArrayDeque<>();
    private int outstanding;

    ChunkPool(Syscalls sys, Arena scope) {
        this.sys = sys;
        this.scope = scope;
    }

    /** A chunk of {@link #CHUNK_SIZE} bytes. */
    public synchronized MemorySegment take() {
        MemorySegment chunk = pooled.pollLast();
        if (chunk == null) {
            chunk = allocate();
        }
        outstanding++;
        return chunk;
    }

    /** Takes back a chunk from {@link #take()}; it must not be used again. */
    public synchronized void give(MemorySegment chunk) {
        outstanding--;
        if (pooled.size() < MAX_POOLED) {
            pooled.addLast(chunk);
        } else {
            sys.free(chunk);
        }
    }

    /** Chunks handed out and not given back. */
    public synchronized int outstanding() {
        return outstanding;
    }

    /** Chunks kept for reuse. */
    public synchronized int pooled() {
        return pooled.size();
    }

    /** Frees the pooled chunks. Call it before the scope arena closes. */
    @Override
    public synchronized void close() {
        MemorySegment chunk;
        while ((chunk = pooled.pollLast()) != null) {
            sys.free(chunk);
        }
        if (outstanding != 0) {
            throw new IllegalStateException(outstanding + " output chunks were not given back");
        }
    }

    private MemorySegment allocate() {
        return sys.malloc(CHUNK_SIZE, scope);
    }
}
