package org.epoll4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.epoll4j.internal.Errno;
import org.epoll4j.internal.Fd;
import org.epoll4j.internal.IoVec;
import org.epoll4j.internal.Socket;

/**
 * The native memory of one event loop, from one arena: errno capture, socket
 * scratch, the read buffer that every connection shares, the iovec array for
 * writev, and the pool of chunks that hold queued output.
 *
 * <p>The arena is shared, not confined, because a loop may be opened on one thread
 * and run on another; only one thread uses it at a time.
 */
final class IoContext implements AutoCloseable {
    static final int READ_BUFFER_SIZE = 64 * 1024;
    /** Buffers per writev: enough for a few hundred KiB a call. */
    static final int MAX_IOV = 32;

    private final Arena arena = Arena.ofShared();
    final MemorySegment capture = Errno.allocateCapture(arena);
    final MemorySegment scratch = arena.allocate(Socket.SCRATCH_SIZE);
    private final MemorySegment readBuffer = arena.allocate(READ_BUFFER_SIZE);
    private final ByteBuffer readView = readBuffer.asByteBuffer();
    /** The iovec array for writev: one per loop, as only one write is under way at a time. */
    final IoVec iov = new IoVec(arena, MAX_IOV);
    private final ChunkPool chunks = new ChunkPool(arena);

    /** Reads from {@code fd} into the read buffer: bytes read, 0 would block, -1 EOF. */
    int read(int fd) throws ErrnoException {
        return (int) Fd.read(capture, fd, readBuffer, READ_BUFFER_SIZE);
    }

    /** The read buffer's first {@code length} bytes, as the buffer handlers see. */
    ByteBuffer view(int length) {
        // Every handler gets this one buffer: undo what the last one may have changed.
        return readView.order(ByteOrder.BIG_ENDIAN).limit(length).position(0);
    }

    /** Writes what the kernel takes of {@code src}'s remaining bytes; returns how many. */
    long write(int fd, ByteBuffer src) throws ErrnoException {
        int length = src.remaining();
        // The loop's own read buffer (an echo) goes out without a new segment.
        MemorySegment bytes = src == readView && src.position() == 0 ? readBuffer : MemorySegment.ofBuffer(src);
        return Fd.write(capture, fd, bytes, length);
    }

    /** A chunk of {@link ChunkPool#CHUNK_SIZE} bytes for queued output. */
    MemorySegment takeChunk() {
        return chunks.take();
    }

    /** Returns a chunk to the pool. */
    void giveChunk(MemorySegment chunk) {
        chunks.give(chunk);
    }

    ChunkPool chunks() {
        return chunks;
    }

    /** Frees all of the loop's native memory. */
    @Override
    public void close() {
        try {
            chunks.close();
        } finally {
            arena.close();
        }
    }
}
