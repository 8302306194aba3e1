// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.epoll;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.epoll4j.kernel.EpollEventLayout;

/**
 * A fixed-capacity array of {@code struct epoll_event} in native memory, filled by
 * {@link Epoll#wait(EpollEvents, int)}.
 *
 * <pre>
 * struct epoll_event {
 *     uint32_t     events;   // EPOLLIN, EPOLLOUT, ...
 *     epoll_data_t data;     // the 64-bit value given to epoll_ctl
 * } __EPOLL_PACKED;          // packed on x86_64 (12 bytes), natural elsewhere (16)
 * </pre>
 *
 * {@snippet class="org.epoll4j.snippets.EpollSnippets" region="epoll"}
 *
 * <p>Notes: the memory belongs to a confined arena: only the thread that allocated the
 * array may read it or close it, and others get a {@link WrongThreadException}; after
 * {@link #close()}, reads throw {@link IllegalStateException} ({@link #capacity()} and
 * {@link #size()} still answer). The
 * accessors read the native memory directly and allocate nothing; only the first
 * {@link #size()} entries, those the last wait filled, can be read.
 */
public final class EpollEvents implements AutoCloseable {
    static final long STRUCT_SIZE = EpollEventLayout.SIZE;
    private static final long EVENTS_OFFSET = EpollEventLayout.EVENTS_OFFSET;
    private static final long DATA_OFFSET = EpollEventLayout.DATA_OFFSET;
    /* epoll_wait(2) rejects maxevents above INT_MAX / sizeof(struct epoll_event). */
    private static final int MAX_CAPACITY = (int) (Integer.MAX_VALUE / STRUCT_SIZE);

    private final Arena arena;
    private final MemorySegment array;
    private final int capacity;
    private int size;

    private EpollEvents(Arena arena, int capacity) {
        this.arena = arena;
        this.capacity = capacity;
        this.array = arena.allocate(STRUCT_SIZE * capacity, Long.BYTES);
    }

    /**
     * Allocates room for {@code capacity} events, owned by the calling thread.
     *
     * @param capacity the most events one wait can return
     * @return the array, which the caller closes
     * @throws IllegalArgumentException if capacity is not in 1 .. INT_MAX / struct size
     * @throws UnsupportedOperationException if epoll4j has no bindings for this
     *     architecture, or the kernel does not write struct epoll_event as they say
     */
    public static EpollEvents allocate(int capacity) {
        checkCapacity(capacity);
        checkLayout();
        return allocate(capacity, Arena.ofConfined());
    }

    /**
     * Allocates room for {@code capacity} events that any thread may use, one at a time,
     * as an {@link Epoll#openShared()} does.
     *
     * @param capacity the most events one wait can return
     * @return the array, which the caller closes
     * @throws IllegalArgumentException if capacity is not in 1 .. INT_MAX / struct size
     * @throws UnsupportedOperationException as {@link #allocate(int)}
     */
    public static EpollEvents allocateShared(int capacity) {
        checkCapacity(capacity);
        checkLayout();
        return allocate(capacity, Arena.ofShared());
    }

    private static EpollEvents allocate(int capacity, Arena arena) {
        try {
            return new EpollEvents(arena, capacity);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static void checkLayout() {
        try {
            EpollEventLayout.verify();
        } catch (ErrnoException e) {
            // No fds for the check now (EMFILE): Epoll.open makes it before the kernel writes here.
        }
    }

    private static void checkCapacity(int capacity) {
        if (capacity <= 0 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException(
                    "capacity must be in 1.." + MAX_CAPACITY + ": " + capacity);
        }
    }

    /**
     * The number of entries this array holds.
     *
     * @return the capacity it was allocated with
     */
    public int capacity() {
        return capacity;
    }

    /**
     * The number of entries the last {@code wait} filled: 0 before any.
     *
     * @return how many entries can be read
     */
    public int size() {
        return size;
    }

    /**
     * The ready events of entry {@code i}.
     *
     * @param i the entry, below {@link #size()}
     * @return {@link Epoll#IN}, {@link Epoll#OUT}, ..., or-ed
     * @throws IndexOutOfBoundsException unless 0 &lt;= i &lt; {@link #size()}
     * @throws IllegalStateException once closed
     */
    public int events(int i) {
        return array.get(JAVA_INT_UNALIGNED, offset(i) + EVENTS_OFFSET);
    }

    /**
     * The 64-bit value registered with the fd of entry {@code i}.
     *
     * @param i the entry, below {@link #size()}
     * @return the {@code data} given to {@link Epoll#add} or {@link Epoll#modify}
     * @throws IndexOutOfBoundsException unless 0 &lt;= i &lt; {@link #size()}
     * @throws IllegalStateException once closed
     */
    public long data(int i) {
        return array.get(JAVA_LONG_UNALIGNED, offset(i) + DATA_OFFSET);
    }

    /**
     * The native array itself, {@code capacity() * sizeof(struct epoll_event)} bytes. It
     * belongs to this object: it is freed by {@link #close()}, after which the segment
     * can no longer be read.
     *
     * @return the memory the kernel writes the events to
     * @throws IllegalStateException once closed
     */
    public MemorySegment segment() {
        checkOpen();
        return array;
    }

    /** Frees the native memory; later calls throw IllegalStateException. Idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    /**
     * Whether {@link #close()} has not been called.
     *
     * @return true until closed
     */
    public boolean isOpen() {
        return arena.scope().isAlive();
    }

    MemorySegment array() {
        checkOpen();
        return array;
    }

    int filled(int n) {
        size = n;
        return n;
    }

    private long offset(int i) {
        if (i >= size) {
            checkOpen();
        }
        Objects.checkIndex(i, size);
        return i * STRUCT_SIZE;
    }

    private void checkOpen() {
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException("EpollEvents is closed");
        }
    }
}
