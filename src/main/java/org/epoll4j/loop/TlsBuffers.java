// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * A loop's memory for the TLS records of its connections (see the stream transport's
 * {@code TlsLayer}), from the loop's arena: what one read decrypts to, what a batch of
 * writes encrypts to, and plaintext taken out of a queue to be encrypted. One connection
 * uses them at a time, and none keeps bytes in them past its call.
 */
public final class TlsBuffers {
    /**
     * The most a TLS record may take on the wire, with the JDK's
     * {@code jsse.SSLEngine.acceptLargeFragments} (33,093 bytes), rounded up; an engine
     * needs this much room in an output buffer for each record it makes or opens.
     */
    public static final int MAX_PACKET = 33 * 1024 + 128;

    /** The most a read takes (the loop's read buffer). */
    public static final int READ_SIZE = IoContext.READ_BUFFER_SIZE;

    /** Where a read's records are decrypted: the read and a record more. */
    public final ByteBuffer plain;
    /** The memory of {@link #plain}. */
    public final MemorySegment plainMemory;
    /** The views of {@link #plain} that handlers are given: each exactly what was decrypted (see {@link ReadBuffer}). */
    public final ReadBuffer plainViews;
    /** Where records are encrypted before one write: a few records, and room for one more. */
    public final ByteBuffer cipher;
    /** The memory of {@link #cipher}, to write from. */
    public final MemorySegment cipherMemory;
    /** Plaintext taken from a connection's queue to be encrypted. */
    public final ByteBuffer out;
    /** The memory of {@link #out}, to copy into. */
    public final MemorySegment outMemory;

    TlsBuffers(Arena arena, int readSize) {
        plainMemory = arena.allocate(readSize + MAX_PACKET);
        plain = plainMemory.asByteBuffer();
        plainViews = new ReadBuffer(plainMemory, ReadBuffer.LOOP_VIEWS);
        cipherMemory = arena.allocate(64 * 1024 + MAX_PACKET);
        cipher = cipherMemory.asByteBuffer();
        outMemory = arena.allocate(64 * 1024);
        out = outMemory.asByteBuffer();
    }
}
