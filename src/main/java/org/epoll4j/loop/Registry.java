// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.util.Arrays;
import java.util.function.Consumer;
import org.epoll4j.epoll.Epoll;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.Syscalls;

/**
 * The loop's sources and their registrations in its epoll set. A source is found
 * from an event's data in O(1): the data is the source's slot in the low 32 bits and
 * the slot's generation in the high 32; freeing a slot bumps its generation, so an
 * event read before an fd was closed, and meant for it, is never delivered to a
 * later source that reuses the slot (or the fd number).
 */
public final class Registry {
    private final Epoll epoll;
    private final Counters counters;
    private Source[] sources = new Source[64];
    private int[] generations = new int[64];
    private int[] free = new int[64];
    private int freeCount;
    private int used;

    Registry(Epoll epoll, Counters counters) {
        this.epoll = epoll;
        this.counters = counters;
    }

    /** Registers {@code source}'s fd for its {@link Source#interest}. */
    public void add(Source source) throws ErrnoException {
        long data = addUnwatched(source);
        try {
            epoll.add(source.fd, Interest.epollEvents(source.interest), data);
        } catch (ErrnoException e) {
            remove(source);
            throw e;
        }
    }

    /**
     * Gives {@code source} a slot but leaves its fd out of the epoll set (a socket whose
     * connect failed at once), so that closing the loop still finds it; returns its data.
     */
    public long addUnwatched(Source source) {
        int slot = freeCount > 0 ? free[--freeCount] : used++;
        if (slot == sources.length) {
            int capacity = slot * 2;
            sources = Arrays.copyOf(sources, capacity);
            generations = Arrays.copyOf(generations, capacity);
            free = Arrays.copyOf(free, capacity);
        }
        sources[slot] = source;
        source.slot = slot;
        if (source.isConnection()) {
            counters.connections(1);
        }
        return data(slot);
    }

    /** Registers {@code source}'s fd for {@code interest} instead ({@link Interest} flags). */
    public void modify(Source source, int interest) throws ErrnoException {
        epoll.modify(source.fd, Interest.epollEvents(interest), data(source.slot));
        source.interest = interest;
    }

    /**
     * Takes {@code source}'s fd out of the epoll set and frees its slot: for an fd the loop
     * does not close. Errors are ignored: an fd already closed has left the set by itself.
     */
    public void delete(Source source) {
        try {
            epoll.delete(source.fd);
        } catch (ErrnoException e) {
            // EBADF or ENOENT: closed by its owner, and so out of the set already.
        }
        remove(source);
    }

    /**
     * Frees the slot of {@code source} and closes its fd, which the loop owns: the fd leaves
     * the epoll set with it.
     */
    public void close(Source source, Syscalls sys) {
        remove(source);
        sys.close(source.fd);
        source.fd = -1;
    }

    /** Takes {@code source}'s fd out of the epoll set, keeping its slot. */
    public void park(Source source) throws ErrnoException {
        epoll.delete(source.fd);
    }

    /** Puts a parked source's fd back in the epoll set, for {@code interest}. */
    public void unpark(Source source, int interest) throws ErrnoException {
        epoll.add(source.fd, Interest.epollEvents(interest), data(source.slot));
        source.interest = interest;
    }

    /** Whether {@code source} has a slot: added, and not yet removed. */
    public boolean contains(Source source) {
        return source.slot >= 0;
    }

    /** The epoll data of {@code slot}. */
    long data(int slot) {
        return (long) generations[slot] << 32 | slot;
    }

    /** The source an event's data names, or null if that registration has ended. */
    Source find(long data) {
        int slot = (int) data;
        if (slot < 0 || slot >= used || generations[slot] != (int) (data >>> 32)) {
            return null;
        }
        return sources[slot];
    }

    /**
     * Frees the slot of {@code source}. Its fd leaves the epoll set when it is closed
     * (it is never duplicated), which saves an epoll_ctl per closed connection.
     */
    public void remove(Source source) {
        int slot = source.slot;
        if (slot < 0) {
            return;
        }
        sources[slot] = null;
        generations[slot]++;
        free[freeCount++] = slot;
        source.slot = -1;
        if (source.isConnection()) {
            counters.connections(-1);
        }
    }

    /** Applies {@code action} to every source, in slot order, on a copy. */
    void forEach(Consumer<Source> action) {
        for (Source source : Arrays.copyOf(sources, used)) {
            if (source != null) {
                action.accept(source);
            }
        }
    }
}
