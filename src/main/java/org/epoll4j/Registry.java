package org.epoll4j;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The loop's sources, found from an event's data in O(1). The data is the slot
 * in the low 32 bits and the slot's generation in the high 32; releasing a slot
 * bumps its generation, so an event read before an fd was closed, and meant for it,
 * is never delivered to a later source that reuses the slot (or the fd number).
 */
final class Registry {
    private Source[] sources = new Source[64];
    private int[] generations = new int[64];
    private int[] free = new int[64];
    private int freeCount;
    private int used;

    /** Puts {@code source} in a free slot and returns its epoll data. */
    long add(Source source) {
        int slot = freeCount > 0 ? free[--freeCount] : used++;
        if (slot == sources.length) {
            int capacity = slot * 2;
            sources = Arrays.copyOf(sources, capacity);
            generations = Arrays.copyOf(generations, capacity);
            free = Arrays.copyOf(free, capacity);
        }
        sources[slot] = source;
        source.slot = slot;
        return data(slot);
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

    /** Frees the slot of {@code source}. */
    void remove(Source source) {
        int slot = source.slot;
        if (slot < 0) {
            return;
        }
        sources[slot] = null;
        generations[slot]++;
        free[freeCount++] = slot;
        source.slot = -1;
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
