package org.epoll4j.kernel;

import org.epoll4j.ffi.epoll_data;
import org.epoll4j.ffi.epoll_event;

/**
 * Where the kernel puts the fields of {@code struct epoll_event}, from jextract's
 * layout, which knows the packing:
 *
 * <pre>
 * struct epoll_event {
 *     uint32_t     events;   // EPOLLIN, EPOLLOUT, ...
 *     epoll_data_t data;     // the 64-bit value given to epoll_ctl
 * } __EPOLL_PACKED;          // packed on x86_64 (12 bytes), natural elsewhere (16)
 * </pre>
 */
public final class EpollEventLayout {
    /** {@code sizeof(struct epoll_event)}. */
    public static final long SIZE = epoll_event.layout().byteSize();
    /** The offset of {@code events}. */
    public static final long EVENTS_OFFSET = epoll_event.events$offset();
    /** The offset of {@code data.u64}. */
    public static final long DATA_OFFSET = epoll_event.data$offset() + epoll_data.u64$offset();

    private EpollEventLayout() {}
}
