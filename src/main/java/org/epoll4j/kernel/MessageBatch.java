// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.epoll4j.ffi.iovec;
import org.epoll4j.ffi.mmsghdr;
import org.epoll4j.ffi.msghdr;

/**
 * Datagrams for one recvmmsg(2) or sendmmsg(2): {@code count} messages, each with a
 * buffer of {@code slotSize} bytes and room for an address, in native memory of its own.
 * The {@code struct mmsghdr} array points only into that memory, set up here once: the
 * kernel reads and writes nothing else. See
 * <a href="https://man7.org/linux/man-pages/man2/recvmmsg.2.html">recvmmsg(2)</a>.
 */
public final class MessageBatch {
    private static final long HEADER = mmsghdr.layout().byteSize();
    private static final long IOVEC = iovec.layout().byteSize();
    private static final long NAME = Sockaddr.STORAGE_SIZE;
    private static final long MSG = mmsghdr.msg_hdr$offset();
    private static final long NAME_POINTER = MSG + msghdr.msg_name$offset();
    private static final long NAME_LENGTH = MSG + msghdr.msg_namelen$offset();
    private static final long FLAGS = MSG + msghdr.msg_flags$offset();
    private static final long LENGTH = mmsghdr.msg_len$offset();
    /* Buffers start on a page and each on a cache line: the kernel's copies in and out of misaligned ones cost more. */
    private static final long PAGE = 4096;
    private static final long LINE = 64;

    private final int count;
    private final int slotSize;
    /** From one message's buffer to the next: slotSize rounded up to a cache line. */
    private final long stride;
    private final MemorySegment headers;
    /** The header array from each message on, made once: a slice per call would be an allocation per send. */
    private final MemorySegment[] headersFrom;
    private final MemorySegment iovecs;
    private final MemorySegment names;
    private final MemorySegment buffers;
    /** {@code buffers} as a ByteBuffer, for copies from buffers of every kind. */
    private final ByteBuffer buffersView;
    private int rememberedLength;

    /** Allocates {@code count} messages of up to {@code slotSize} bytes from {@code arena}. */
    public MessageBatch(Arena arena, int count, int slotSize) {
        if (count <= 0 || slotSize <= 0) {
            throw new IllegalArgumentException("count and slotSize must be positive: " + count + ", " + slotSize);
        }
        this.count = count;
        this.slotSize = slotSize;
        stride = (slotSize + LINE - 1) & -LINE;
        headers = arena.allocate(HEADER * count, Long.BYTES);
        iovecs = arena.allocate(IOVEC * count, Long.BYTES);
        names = arena.allocate(NAME * (count + 1), Long.BYTES); // and one to remember an address in
        buffers = arena.allocate(stride * count, PAGE);
        buffersView = buffers.asByteBuffer();
        headersFrom = new MemorySegment[count];
        for (int i = 0; i < count; i++) {
            headersFrom[i] = headers.asSlice(i * HEADER);
        }
        for (int i = 0; i < count; i++) {
            iovecs.set(JAVA_LONG, i * IOVEC + iovec.iov_base$offset(), buffers.address() + i * stride);
            headers.set(JAVA_LONG, i * HEADER + MSG + msghdr.msg_iov$offset(), iovecs.address() + i * IOVEC);
            headers.set(JAVA_LONG, i * HEADER + MSG + msghdr.msg_iovlen$offset(), 1);
        }
    }

    public int count() {
        return count;
    }

    public int slotSize() {
        return slotSize;
    }

    /** Message {@code i}'s buffer, all {@link #slotSize()} bytes of it. */
    public MemorySegment buffer(int i) {
        Objects.checkIndex(i, count);
        return buffers.asSlice(i * stride, slotSize);
    }

    /** Message {@code i}'s length as the kernel reported it: a received datagram's whole length, even truncated. */
    public int length(int i) {
        Objects.checkIndex(i, count);
        return headers.get(JAVA_INT, i * HEADER + LENGTH);
    }

    /** Whether received message {@code i} was longer than its buffer. */
    public boolean truncated(int i) {
        return length(i) > slotSize;
    }

    /** Received message {@code i}'s sender (allocates). */
    public SocketAddress sender(int i) {
        Objects.checkIndex(i, count);
        return Sockaddr.read(names.asSlice(i * NAME, NAME), headers.get(JAVA_INT, i * HEADER + NAME_LENGTH));
    }

    /** Message {@code i} of this batch goes to where message {@code from} of {@code other} came from. */
    public void replyTo(int i, MessageBatch other, int from) {
        Objects.checkIndex(i, count);
        Objects.checkIndex(from, other.count);
        MemorySegment.copy(other.names, from * NAME, names, i * NAME, NAME);
        address(i, other.headers.get(JAVA_INT, from * HEADER + NAME_LENGTH));
    }

    /** Message {@code i} goes to {@code to}. */
    public void sendTo(int i, SocketAddress to) {
        Objects.checkIndex(i, count);
        address(i, Sockaddr.write(to, names.asSlice(i * NAME, NAME)));
    }

    /**
     * Keeps {@code to}, written once, for {@link #sendToRemembered}: a sender that writes to
     * the same address again and again converts it once.
     */
    public void remember(SocketAddress to) {
        rememberedLength = Sockaddr.write(to, names.asSlice(count * NAME, NAME));
    }

    /** Message {@code i} goes to the address last {@link #remember remembered}. */
    public void sendToRemembered(int i) {
        Objects.checkIndex(i, count);
        if (rememberedLength == 0) {
            throw new IllegalStateException("no address remembered");
        }
        MemorySegment.copy(names, count * NAME, names, i * NAME, NAME);
        address(i, rememberedLength);
    }

    /** Message {@code i} goes to the socket's connected peer: no address. */
    public void sendToPeer(int i) {
        Objects.checkIndex(i, count);
        headers.set(JAVA_LONG, i * HEADER + NAME_POINTER, 0);
        headers.set(JAVA_INT, i * HEADER + NAME_LENGTH, 0);
    }

    /**
     * Copies {@code src}'s remaining bytes into message {@code i}'s buffer, leaving its
     * position alone: through a view made once, as a segment of each buffer would be an
     * allocation per datagram.
     */
    public void copyFrom(int i, ByteBuffer src) {
        Objects.checkIndex(i, count);
        Objects.checkFromIndexSize(0, src.remaining(), slotSize);
        buffersView.put((int) (i * stride), src, src.position(), src.remaining());
    }

    /** Copies {@code length} bytes of message {@code from} of {@code other} into message {@code i}'s buffer. */
    public void copyFrom(int i, MessageBatch other, int from, int length) {
        Objects.checkIndex(i, count);
        Objects.checkIndex(from, other.count);
        Objects.checkFromIndexSize(0, length, Math.min(slotSize, other.slotSize));
        MemorySegment.copy(other.buffers, from * other.stride, buffers, i * stride, length);
    }

    /** Message {@code i} is the first {@code length} bytes of its buffer. */
    public void setLength(int i, int length) {
        Objects.checkIndex(i, count);
        Objects.checkFromIndexSize(0, length, slotSize);
        iovecs.set(JAVA_LONG, i * IOVEC + iovec.iov_len$offset(), length);
    }

    /** Sets every message up to receive: whole buffers, room for any address. */
    void readyToReceive() {
        for (int i = 0; i < count; i++) {
            address(i, (int) NAME);
            iovecs.set(JAVA_LONG, i * IOVEC + iovec.iov_len$offset(), slotSize);
            headers.set(JAVA_INT, i * HEADER + FLAGS, 0);
        }
    }

    /** The {@code struct mmsghdr} array from message {@code from} on, checked to hold {@code n} messages (the call passes n). */
    MemorySegment headers(int from, int n) {
        Objects.checkFromIndexSize(from, n, count);
        return headersFrom[from];
    }

    private void address(int i, int length) {
        headers.set(JAVA_LONG, i * HEADER + NAME_POINTER, names.address() + i * NAME);
        headers.set(JAVA_INT, i * HEADER + NAME_LENGTH, length);
    }
}
