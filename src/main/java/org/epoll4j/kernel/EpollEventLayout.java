package org.epoll4j.kernel;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.GroupLayout;

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
 */
public final class EpollEventLayout {
    private static final GroupLayout LAYOUT = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> org.epoll4j.ffi.x86_64.epoll_event.layout();
        case "aarch64" -> org.epoll4j.ffi.aarch64.epoll_event.layout();
        case "riscv64" -> org.epoll4j.ffi.riscv64.epoll_event.layout();
        default -> throw new UnsupportedOperationException(
                "epoll4j has no bindings for os.arch " + System.getProperty("os.arch"));
    };
    /** {@code sizeof(struct epoll_event)}. */
    public static final long SIZE = LAYOUT.byteSize();
    /** The offset of {@code events}. */
    public static final long EVENTS_OFFSET = LAYOUT.byteOffset(groupElement("events"));
    /** The offset of {@code data.u64}. */
    public static final long DATA_OFFSET = LAYOUT.byteOffset(groupElement("data"), groupElement("u64"));

    private EpollEventLayout() {}
}
