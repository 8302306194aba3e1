// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.ChunkPool;
import org.epoll4j.loop.IoContext;

/**
 * A connection's output that the kernel has not taken yet, in order, in chunks of
 * native memory from the loop's pool; written with writev(2). It exists only while
 * output is queued.
 */
final class WriteQueue {
    private MemorySegment[] chunks = new MemorySegment[4];
    private int head;
    private int count;
    /** Offset of the first unsent byte in the head chunk. */
    private long headStart;
    /** Bytes used in the tail chunk. */
    private long tailEnd;
    private long size;

    /** Bytes queued. */
    long size() {
        return size;
    }

    /** Appends {@code src}'s remaining bytes and consumes them. Any thread (an inbox's queue is another thread's). */
    void append(ByteBuffer src, IoContext io) {
        // A heap buffer is copied from its array: no segment to allocate on each write.
        append(src, src.hasArray() ? null : MemorySegment.ofBuffer(src), io);
    }

    /**
     * As {@link #append(ByteBuffer, IoContext)}, on the loop's thread: a direct buffer's
     * bytes come through the loop's memory ({@link IoContext#bytesOf}), so that no segment
     * is made of it per write.
     */
    void appendOnLoop(ByteBuffer src, IoContext io) {
        append(src, src.hasArray() ? null : io.bytesOf(src), io);
    }

    /** Appends {@code src}'s remaining bytes, from its array, or from {@code bytes} (its first at 0); consumes them. */
    private void append(ByteBuffer src, MemorySegment bytes, IoContext io) {
        int length = src.remaining();
        int from = src.hasArray() ? src.arrayOffset() + src.position() : 0;
        long copied = 0;
        while (copied < length) {
            long n = room(io);
            n = Math.min(length - copied, n);
            if (bytes == null) {
                MemorySegment.copy(src.array(), from + (int) copied, tail(), ValueLayout.JAVA_BYTE, tailEnd, (int) n);
            } else {
                MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, copied, tail(), ValueLayout.JAVA_BYTE, tailEnd, n);
            }
            tailEnd += n;
            copied += n;
        }
        size += length;
        src.position(src.limit());
    }

    /** Appends the {@code length} bytes of {@code bytes} from 0. Loop thread. */
    void append(MemorySegment bytes, long length, IoContext io) {
        long copied = 0;
        while (copied < length) {
            long n = Math.min(length - copied, room(io));
            MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, copied, tail(), ValueLayout.JAVA_BYTE, tailEnd, n);
            tailEnd += n;
            copied += n;
        }
        size += length;
    }

    /**
     * Moves the first bytes queued, at most {@code max}, to {@code dst} from 0; returns how
     * many. Chunks emptied return to the pool.
     */
    long take(MemorySegment dst, long max, IoContext io) {
        long taken = 0;
        while (count > 0 && taken < max) {
            long end = count == 1 ? tailEnd : ChunkPool.CHUNK_SIZE;
            long n = Math.min(end - headStart, max - taken);
            MemorySegment.copy(chunk(0), ValueLayout.JAVA_BYTE, headStart, dst, ValueLayout.JAVA_BYTE, taken, n);
            taken += n;
            consume(n, io);
        }
        return taken;
    }

    /** Moves every byte queued here to the end of {@code target}, in order; this queue is then empty. */
    void moveTo(WriteQueue target, IoContext io) {
        while (count > 0) {
            long end = count == 1 ? tailEnd : ChunkPool.CHUNK_SIZE;
            long copied = headStart;
            while (copied < end) {
                long n = Math.min(end - copied, target.room(io));
                MemorySegment.copy(chunk(0), ValueLayout.JAVA_BYTE, copied, target.tail(), ValueLayout.JAVA_BYTE,
                        target.tailEnd, n);
                target.tailEnd += n;
                target.size += n;
                copied += n;
            }
            io.chunks.give(removeHead());
        }
        size = 0;
        tailEnd = 0;
    }

    /**
     * Writes as much as the kernel takes; returns the bytes written. Chunks that have
     * gone out return to the pool.
     */
    long flush(int fd, IoContext io) throws ErrnoException {
        int iovs = Math.min(count, IoContext.MAX_IOV);
        for (int i = 0; i < iovs; i++) {
            long start = i == 0 ? headStart : 0;
            long end = i == count - 1 ? tailEnd : ChunkPool.CHUNK_SIZE;
            io.iov.set(i, chunk(i), start, end - start);
        }
        long written = io.sys.writev(fd, io.iov, iovs);
        consume(written, io);
        return written;
    }

    /** Returns every chunk to the pool and forgets the queued bytes. */
    void clear(IoContext io) {
        while (count > 0) {
            io.chunks.give(removeHead());
        }
        size = 0;
    }

    private void consume(long written, IoContext io) {
        size -= written;
        long left = written;
        while (left > 0) {
            long end = count == 1 ? tailEnd : ChunkPool.CHUNK_SIZE;
            long inHead = end - headStart;
            if (left < inHead) {
                headStart += left;
                return;
            }
            left -= inHead;
            io.chunks.give(removeHead());
        }
        if (count == 0) {
            tailEnd = 0;
        }
    }

    /** Room left in the tail chunk, after adding one if the tail is full or there is none. */
    private long room(IoContext io) {
        if (count == 0 || tailEnd == ChunkPool.CHUNK_SIZE) {
            addChunk(io.chunks.take());
        }
        return ChunkPool.CHUNK_SIZE - tailEnd;
    }

    private MemorySegment tail() {
        return chunk(count - 1);
    }

    private MemorySegment chunk(int i) {
        return chunks[(head + i) % chunks.length];
    }

    private void addChunk(MemorySegment chunk) {
        if (count == chunks.length) {
            MemorySegment[] grown = new MemorySegment[count * 2];
            for (int i = 0; i < count; i++) {
                grown[i] = chunk(i);
            }
            chunks = grown;
            head = 0;
        }
        chunks[(head + count++) % chunks.length] = chunk;
        tailEnd = 0;
    }

    private MemorySegment removeHead() {
        MemorySegment chunk = chunks[head];
        chunks[head] = null;
        head = (head + 1) % chunks.length;
        count--;
        headStart = 0;
        return chunk;
    }
}
