// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.epoll4j.epoll.Epoll;
import org.epoll4j.epoll.EpollEvents;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.IoVec;
import org.epoll4j.kernel.SocketCalls;
import org.epoll4j.kernel.Syscalls;

/**
 * The native side of one event loop: its epoll set and array of events, and from one
 * arena its system calls, the buffer that connections read into, the one that writes of
 * handlers' own buffers are copied into, the one that closing connections drop input into,
 * the iovec array for writev, and the pool of chunks that hold queued output.
 *
 * <p>Everything is shared, not confined, because a loop may be opened on one thread and
 * run on another, and a handler may let other threads read the bytes it is given; only
 * one thread drives the loop at a time.
 */
public final class IoContext implements AutoCloseable {
    /**
     * Events per wait, and so the most fds a turn serves (issue #21). The kernel hands out
     * ready fds oldest first and puts each one it reports (level-triggered) back at the end
     * of its ready list. When one wait takes every ready fd, the fds served last in a turn
     * are polled again at once, before their peers can answer, drop off the list, and join
     * it again behind all the others: many of their requests then wait two whole turns
     * where the others' wait one (at 1,000 connections, in one run, the least served
     * connection completed 22% fewer round trips than the median one). With fewer events than ready
     * fds, an fd is polled again only after the others have had their turn, so the oldest
     * wait least; the extra waits cost about one epoll_wait per 256 events, and a turn's
     * timers and tasks come round sooner. With 256 or fewer ready, a wait still takes them
     * all, and the same can happen (bench/RESULTS.md, "Tail latency").
     */
    static final int EVENTS = 256;
    static final int READ_BUFFER_SIZE = 64 * 1024;
    /** Buffers per writev: enough for a few hundred KiB a call. */
    public static final int MAX_IOV = 32;
    private static final int DISCARD_BUFFER_SIZE = 16 * 1024;
    /** The longest write of a handler's own buffer that is copied to the loop's memory first. */
    private static final int STAGING_SIZE = 16 * 1024;

    final Epoll epoll;
    final EpollEvents events;
    private final Arena arena = Arena.ofShared();
    public final Syscalls sys = Syscalls.open(MethodHandles.lookup(), arena);
    public final SocketCalls sockets = sys.sockets();
    /** What handlers are given; see {@link ReadBuffer}. */
    public final ReadBuffer input = new ReadBuffer(arena.allocate(READ_BUFFER_SIZE), ReadBuffer.LOOP_VIEWS);
    /** Where a write of a handler's own buffer is copied first (see {@link #bytesOf}). */
    private final MemorySegment staging = arena.allocate(STAGING_SIZE);
    private final ByteBuffer stagingView = staging.asByteBuffer();
    /** Never handed out: what a closing connection drops lands here, not in a handler's view. */
    private final MemorySegment discardBuffer = arena.allocate(DISCARD_BUFFER_SIZE);
    /** The iovec array for writev: one per loop, as only one write is under way at a time. */
    public final IoVec iov = new IoVec(arena, MAX_IOV);
    public final ChunkPool chunks = new ChunkPool(sys, arena);
    /** The fd kept back for EMFILE; see {@link FdReserve}. */
    public final FdReserve reserve = new FdReserve(this);
    /** The memory of TLS records, made for the first TLS connection: a plaintext loop has none. */
    private TlsBuffers tls;

    private IoContext(Epoll epoll, EpollEvents events) {
        this.epoll = epoll;
        this.events = events;
    }

    /**
     * Opens the epoll set and allocates the memory of a loop.
     *
     * @throws ErrnoException EMFILE, ENFILE or ENOMEM
     */
    static IoContext open() throws ErrnoException {
        Epoll epoll = Epoll.openShared();
        EpollEvents events = null;
        try {
            events = EpollEvents.allocateShared(EVENTS);
            return new IoContext(epoll, events);
        } catch (RuntimeException | Error e) {
            Guarded.closeAll(e::addSuppressed, events, epoll);
            throw e;
        }
    }

    /** The loop's memory for TLS records; made on first use. Loop thread. */
    public TlsBuffers tls() {
        if (tls == null) {
            tls = new TlsBuffers(arena, READ_BUFFER_SIZE);
        }
        return tls;
    }

    /** Reads what {@code fd} has, up to the buffer's size, into the read buffer: as {@link Syscalls#read}. */
    public int read(int fd) throws ErrnoException {
        return (int) sys.read(fd, input.segment(), READ_BUFFER_SIZE);
    }

    /**
     * {@code size} bytes of native memory of a connection's own (see the stream transport's
     * unread input), which its owner frees with {@link #free} once done: scoped to the loop,
     * so a stale reference throws once the loop is closed.
     */
    public MemorySegment malloc(long size) {
        return sys.malloc(size, arena);
    }

    /** Frees memory from {@link #malloc}, which must not be used again. */
    public void free(MemorySegment memory) {
        sys.free(memory);
    }

    /** Reads from {@code fd} and drops it: bytes dropped, 0 would block, -1 end of stream. */
    public int discard(int fd) throws ErrnoException {
        return (int) sys.read(fd, discardBuffer, DISCARD_BUFFER_SIZE);
    }

    /**
     * The memory to write {@code src}'s remaining bytes from, its first byte at 0; it leaves
     * {@code src}'s position alone. The view handed to the handler at hand (an echo) is the
     * read buffer itself. Any other buffer of up to 16 KiB is copied into the loop's memory:
     * a segment of it would be an allocation per write, which C2 does not take apart, and
     * the copy costs little beside the write(2) that copies the same bytes again. Larger
     * ones are a segment of their own.
     *
     * <p>The caller makes the write itself ({@code sys.write(fd, io.bytesOf(src), n)}):
     * one call level more, and C2 no longer inlines the downcall deep enough to drop the
     * slice of its errno capture segment.
     */
    public MemorySegment bytesOf(ByteBuffer src) {
        int length = src.remaining();
        if (input.isCurrentView(src) && src.position() == 0) {
            return input.segment();
        }
        if (length <= STAGING_SIZE) {
            stagingView.put(0, src, src.position(), length);
            return staging;
        }
        return MemorySegment.ofBuffer(src);
    }

    /**
     * Closes the epoll set and frees all of the loop's native memory, each step whatever
     * the others do; every chunk must be back in the pool.
     *
     * @throws IllegalStateException if a step failed, with the failures
     */
    @Override
    public void close() {
        List<Throwable> failures = new ArrayList<>();
        Guarded.run(failures::add, reserve::release);
        Guarded.closeAll(failures::add, chunks, events, epoll, arena);
        if (!failures.isEmpty()) {
            IllegalStateException failure = new IllegalStateException("closing the loop's native side failed");
            failures.forEach(failure::addSuppressed);
            throw failure;
        }
    }
}
