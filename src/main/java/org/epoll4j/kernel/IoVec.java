// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.epoll4j.ffi.iovec;

/**
 * An array of {@code struct iovec} in native memory: the buffers one writev(2) sends,
 * in order. See <a href="https://man7.org/linux/man-pages/man2/writev.2.html">writev(2)</a>.
 *
 * <p>Each entry is set from a segment, within its bounds; the kernel only reads them.
 */
public final class IoVec {
    private static final long SIZE = iovec.layout().byteSize();
    private static final long BASE = iovec.iov_base$offset();
    private static final long LENGTH = iovec.iov_len$offset();

    private final MemorySegment array;
    private final int capacity;

    /** Allocates room for {@code capacity} buffers from {@code arena}. */
    public IoVec(Arena arena, int capacity) {
        this.array = arena.allocate(iovec.layout(), capacity);
        this.capacity = capacity;
    }

    /** How many buffers one write can take. */
    public int capacity() {
        return capacity;
    }

    /** Points entry {@code i} at {@code length} bytes of {@code buffer} from {@code offset}. */
    public void set(int i, MemorySegment buffer, long offset, long length) {
        Objects.checkIndex(i, capacity);
        Objects.checkFromIndexSize(offset, length, buffer.byteSize());
        long at = i * SIZE;
        array.set(JAVA_LONG, at + BASE, buffer.address() + offset);
        array.set(JAVA_LONG, at + LENGTH, length);
    }

    /** The array, for a writev(2) of its first {@code count} entries. */
    MemorySegment array(int count) {
        Objects.checkFromIndexSize(0, count, capacity);
        return array;
    }
}
