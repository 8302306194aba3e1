// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.epoll4j.ffi.Libc;

/**
 * malloc(3) and free(3), for native memory freed piece by piece (an arena frees only
 * all of its memory at once). Whoever allocates owns the block and frees it once.
 */
final class Malloc {
    private static final MethodHandle MALLOC = Symbols.handle("malloc", Libc.malloc$descriptor());
    private static final MethodHandle FREE = Symbols.handle("free", Libc.free$descriptor());

    private Malloc() {}

    /**
     * Allocates {@code size} bytes, seen through a segment scoped to {@code scope}: once
     * that arena is closed, a stale reference throws instead of touching freed memory.
     *
     * @throws OutOfMemoryError if malloc returns NULL
     */
    @SuppressWarnings("restricted")
    static MemorySegment allocate(long size, Arena scope) {
        MemorySegment block;
        try {
            block = (MemorySegment) MALLOC.invokeExact(size);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        if (block.equals(MemorySegment.NULL)) {
            throw new OutOfMemoryError("malloc(" + size + ") failed");
        }
        return block.reinterpret(size, scope, null);
    }

    /** Frees a block from {@link #allocate}; it must not be used again. */
    static void free(MemorySegment block) {
        try {
            FREE.invokeExact(block);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
    }
}
