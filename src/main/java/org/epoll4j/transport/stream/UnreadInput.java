// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.epoll4j.Connection;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.IoContext;

/**
 * The input a {@link Connection}'s handler left unread, kept to be handed back ahead of the
 * next bytes (see {@link Connection#keepUnread}): the start of a message that the read did
 * not hold whole. A read that holds only whole messages is handed over in the loop's read
 * buffer and copies nothing; once bytes are kept, the next reads land right after them, in
 * memory of the connection's own, so that the handler sees one run of bytes, never more than
 * the limit.
 *
 * <p>The memory is {@code limit} bytes, taken when bytes are first kept and freed as soon as
 * none are (the handler took them all), when the connection closes, or when the handler
 * stops keeping unread bytes: an idle connection holds none. Loop thread.
 */
final class UnreadInput {
    /** The most bytes kept; 0 once the handler stopped keeping them. */
    private int limit;
    private MemorySegment memory;
    /** A view of all of {@code memory}, reused for every call: no allocation per read. */
    private ByteBuffer whole;
    private int kept;

    UnreadInput(int limit) {
        this.limit = limit;
    }

    int limit() {
        return limit;
    }

    /** Sets the most bytes kept, from the end of the handler call under way (its data may be this memory). */
    void limit(int bytes) {
        limit = bytes;
    }

    /** Whether bytes are kept, to be handed back ahead of the next. */
    boolean isEmpty() {
        return kept == 0;
    }

    /** Bytes kept. */
    int size() {
        return kept;
    }

    /** The bytes of {@code data}, which held {@code length}, that its handler left: from its position on. */
    static int unread(ByteBuffer data, int length) {
        return length - Math.min(data.position(), length);
    }

    /**
     * Keeps what {@code data}, a view of the loop's read buffer that held {@code length}
     * bytes, has from its position on: the handler has returned from it.
     */
    void keep(ByteBuffer data, int length, IoContext io) {
        int left = unread(data, length);
        if (memory == null || memory.byteSize() < limit) {
            free(io);
            memory = io.malloc(limit);
            whole = memory.asByteBuffer();
        }
        MemorySegment.copy(io.input.segment(), length - left, memory, 0, left);
        kept = left;
    }

    /** Whether the kept bytes fill the limit: no read can add to them. */
    boolean isFull() {
        return kept >= limit;
    }

    /**
     * Reads what {@code fd} has into the room after the kept bytes, up to the limit: bytes
     * read, 0 would block, -1 end of stream. Not {@link #isFull()}.
     */
    int read(int fd, IoContext io) throws ErrnoException {
        return (int) io.sys.read(fd, memory.asSlice(kept), (long) limit - kept);
    }

    /** The kept bytes and the {@code read} after them, as the handler sees them: position 0, big-endian. */
    ByteBuffer view(int read) {
        whole.clear().limit(kept + read);
        return whole.order(ByteOrder.BIG_ENDIAN);
    }

    /**
     * The handler has returned from {@code data}, a {@link #view} of {@code length} bytes:
     * what it left, from its position on, moves to the front, to be handed back next time.
     */
    void consumed(ByteBuffer data, int length, IoContext io) {
        int left = unread(data, length);
        if (left == 0) {
            free(io); // all taken: the memory goes back until a message is cut again
            return;
        }
        if (left < length) {
            MemorySegment.copy(memory, length - left, memory, 0, left);
        }
        kept = left;
        if (memory.byteSize() < limit) { // the limit grew during the call: more room
            MemorySegment larger = io.malloc(limit);
            MemorySegment.copy(memory, 0, larger, 0, left);
            io.free(memory);
            memory = larger;
            whole = memory.asByteBuffer();
        }
    }

    /** Drops the kept bytes, and frees the memory. Idempotent. */
    void free(IoContext io) {
        kept = 0;
        if (memory != null) {
            io.free(memory);
            memory = null;
            whole = null;
        }
    }
}
