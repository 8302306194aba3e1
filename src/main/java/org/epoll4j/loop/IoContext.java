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
 * arena its system calls, the buffer that closing connections drop input into, the iovec
 * array for writev, and the pool of chunks that hold queued output; and, while a thread
 * runs the loop, the buffer that connections read into and the system calls that read
 * and write, from an arena of that thread's (see {@link #beginRun}).
 *
 * <p>The loop's own arena is shared, not confined, because a loop may be opened on one
 * thread and run on another; only one thread uses it at a time.
 */
public final class IoContext implements AutoCloseable {
    /** Events per wait: as many as the JDK's selector takes. */
    static final int EVENTS = 1024;
    static final int READ_BUFFER_SIZE = 64 * 1024;
    /** Buffers per writev: enough for a few hundred KiB a call. */
    public static final int MAX_IOV = 32;
    private static final int DISCARD_BUFFER_SIZE = 16 * 1024;
    /** The longest write of a handler's own buffer that is copied to the run's memory first. */
    private static final int STAGING_SIZE = 16 * 1024;

    final Epoll epoll;
    final EpollEvents events;
    private final Arena arena = Arena.ofShared();
    private final Syscalls loopSys = Syscalls.open(MethodHandles.lookup(), arena);
    public final SocketCalls sockets = loopSys.sockets();
    /** The system calls of the thread that uses the loop now: the run's while it runs, else the loop's own. */
    public Syscalls sys = loopSys;
    /** What handlers are given, while the loop runs (null when it does not); see {@link ReadBuffer}. */
    public ReadBuffer input;
    /** The memory of the run under way, confined to its thread; null when none. */
    private Arena run;
    /** Where a write of a handler's own buffer is copied, while the loop runs (see {@link #bytesOf}). */
    private MemorySegment staging;
    private ByteBuffer stagingView;
    /** Never handed out: what a closing connection drops lands here, not in a handler's view. */
    private final MemorySegment discardBuffer = arena.allocate(DISCARD_BUFFER_SIZE);
    /** The iovec array for writev: one per loop, as only one write is under way at a time. */
    public final IoVec iov = new IoVec(arena, MAX_IOV);
    public final ChunkPool chunks = new ChunkPool(sys, arena);
    /** The fd kept back for EMFILE; see {@link FdReserve}. */
    public final FdReserve reserve = new FdReserve(this);

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

    /**
     * The thread that runs the loop from now on reads into, and makes its system calls
     * with, memory confined to it, until {@link #endRun}. A downcall acquires the memory
     * it is given for the length of the call: for a shared arena's, with two atomic
     * updates; for a confined arena's, with a check of the thread. And data handed to a
     * handler cannot be read on another thread, or once the run is over.
     */
    void beginRun() {
        Arena confined = Arena.ofConfined();
        try {
            Syscalls runSys = Syscalls.open(MethodHandles.lookup(), confined);
            MemorySegment runStaging = confined.allocate(STAGING_SIZE);
            ByteBuffer runStagingView = runStaging.asByteBuffer();
            input = new ReadBuffer(confined.allocate(READ_BUFFER_SIZE), ReadBuffer.LOOP_VIEWS);
            sys = runSys;
            staging = runStaging;
            stagingView = runStagingView;
            run = confined;
        } catch (RuntimeException | Error e) {
            input = null;
            confined.close();
            throw e;
        }
    }

    /** Frees the run's memory ({@link #beginRun}), on the thread that ran the loop; idempotent. */
    void endRun() {
        if (run != null) {
            sys = loopSys;
            input = null;
            staging = null;
            stagingView = null;
            Arena confined = run;
            run = null;
            confined.close();
        }
    }

    /** Reads what {@code fd} has, up to the buffer's size, into the run's read buffer: as {@link Syscalls#read}. */
    public int read(int fd) throws ErrnoException {
        return (int) sys.read(fd, input.segment(), READ_BUFFER_SIZE);
    }

    /** Reads from {@code fd} and drops it: bytes dropped, 0 would block, -1 end of stream. */
    public int discard(int fd) throws ErrnoException {
        return (int) sys.read(fd, discardBuffer, DISCARD_BUFFER_SIZE);
    }

    /**
     * The memory to write {@code src}'s remaining bytes from, its first byte at 0; it leaves
     * {@code src}'s position alone. The view handed to the handler at hand (an echo) is the
     * read buffer itself. While the loop runs, any other buffer of up to 16 KiB is copied
     * into the run's memory: a segment of it would be an allocation per write, which C2
     * does not take apart, and such a copy costs less. Larger ones, and any outside a run,
     * are a segment of their own.
     *
     * <p>The caller makes the write itself ({@code sys.write(fd, io.bytesOf(src), n)}):
     * one call level more, and C2 no longer inlines the downcall deep enough to drop the
     * slice of its errno capture segment.
     */
    public MemorySegment bytesOf(ByteBuffer src) {
        int length = src.remaining();
        ReadBuffer views = input;
        if (views != null && views.isCurrentView(src) && src.position() == 0) {
            return views.segment();
        }
        if (staging != null && length <= STAGING_SIZE) {
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
