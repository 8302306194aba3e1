// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The buffer a loop reads into, and the views of it that handlers are given. A view's
 * capacity is exactly what was read: a handler cannot see past it, into bytes an
 * earlier read left there for another connection.
 *
 * <p>Views are cached by length (one per slot of a small direct-mapped table), so reads
 * of a few recurring sizes get them without an allocation; a read of a length not in the
 * table allocates one view (a few dozen bytes), which then stays in its slot.
 */
public final class ReadBuffer {
    /** Views cached for a loop's read buffer, whose reads come in every length. */
    static final int LOOP_VIEWS = 1024;

    private final MemorySegment segment;
    private final ByteBuffer whole;
    private final ByteBuffer[] views;
    /** The view of the handler call under way, or null. */
    private ByteBuffer current;

    /** Views of {@code segment}, {@code cachedViews} (a power of two) cached. */
    public ReadBuffer(MemorySegment segment, int cachedViews) {
        this.segment = segment;
        this.whole = segment.asByteBuffer();
        this.views = new ByteBuffer[cachedViews];
    }

    public MemorySegment segment() {
        return segment;
    }

    /**
     * A view of the first {@code length} bytes, as a handler sees it: position 0, limit
     * and capacity {@code length}, big-endian (whatever the last handler changed).
     */
    public ByteBuffer view(int length) {
        int slot = length & (views.length - 1);
        ByteBuffer view = views[slot];
        if (view == null || view.capacity() != length) {
            view = views[slot] = whole.slice(0, length);
        }
        view.clear().order(ByteOrder.BIG_ENDIAN);
        current = view;
        return view;
    }

    /** Marks the handler call that got the current view as over. */
    public void release() {
        current = null;
    }

    /** Whether {@code buffer} is the view of the handler call under way. */
    public boolean isCurrentView(ByteBuffer buffer) {
        return buffer == current;
    }
}
