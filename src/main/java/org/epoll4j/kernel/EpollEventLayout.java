// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import org.epoll4j.epoll.ErrnoException;

/**
 * Where the kernel puts the fields of {@code struct epoll_event} on the running
 * architecture, from the layout jextract generated for it (org.epoll4j.ffi.&lt;arch&gt;),
 * chosen once by {@code os.arch}:
 *
 * <pre>
 * struct epoll_event {
 *     uint32_t     events;   // EPOLLIN, EPOLLOUT, ...
 *     epoll_data_t data;     // the 64-bit value given to epoll_ctl
 * } __EPOLL_PACKED;          // packed on x86_64 (12 bytes), natural elsewhere (16)
 * </pre>
 *
 * <p>The sizes are constants, so hot paths fold them. They are only to be trusted after
 * {@link #verify()}: no epoll set is created before it has passed.
 */
public final class EpollEventLayout {
    private static final ArchLayout RUNNING = new ArchLayout(System.getProperty("os.arch"));
    /** {@code sizeof(struct epoll_event)}. */
    public static final long SIZE = RUNNING.size;
    /** The offset of {@code events}. */
    public static final long EVENTS_OFFSET = RUNNING.eventsOffset;
    /** The offset of {@code data.u64}. */
    public static final long DATA_OFFSET = RUNNING.dataOffset;

    private EpollEventLayout() {}

    /**
     * Checks, once, that epoll4j has bindings for this architecture and that the kernel
     * writes {@code struct epoll_event} as they say: a round trip of two 64-bit values
     * through an epoll set of its own, with memory and fds of its own.
     *
     * @throws UnsupportedOperationException if there are no bindings for the architecture,
     *     or the kernel wrote the struct elsewhere: the message names the architecture and
     *     what the kernel wrote
     * @throws ErrnoException if the round trip could not be made (EMFILE, ENFILE, ENOMEM);
     *     the next call tries again
     */
    public static void verify() throws ErrnoException {
        RUNNING.verify();
    }
}
