// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.GroupLayout;
import org.epoll4j.epoll.ErrnoException;

/**
 * The layout of {@code struct epoll_event} in the bindings generated for one architecture,
 * chosen by its {@code os.arch} name, and whether the kernel writes the struct that way.
 * {@link EpollEventLayout} holds the running architecture's; tests make others.
 */
final class ArchLayout {
    static final String SUPPORTED = "x86_64 (amd64), aarch64 and riscv64";

    /** The os.arch it was chosen for. */
    final String osArch;
    /** The architecture, named as in org.epoll4j.ffi.&lt;arch&gt;. */
    final String arch;
    /** Whether epoll4j has bindings for it. */
    final boolean supported;
    final long size;
    final long eventsOffset;
    final long dataOffset;
    private volatile boolean verified;

    ArchLayout(String osArch) {
        this.osArch = osArch;
        this.arch = osArch.equals("amd64") ? "x86_64" : osArch; // the JDK's name for x86_64
        GroupLayout layout = switch (arch) {
            case "x86_64" -> org.epoll4j.ffi.x86_64.epoll_event.layout();
            case "aarch64" -> org.epoll4j.ffi.aarch64.epoll_event.layout();
            case "riscv64" -> org.epoll4j.ffi.riscv64.epoll_event.layout();
            default -> null;
        };
        this.supported = layout != null;
        // Without bindings, the largest layout stands in: verify() throws before anything uses it.
        GroupLayout used = supported ? layout : org.epoll4j.ffi.aarch64.epoll_event.layout();
        this.size = used.byteSize();
        this.eventsOffset = used.byteOffset(groupElement("events"));
        this.dataOffset = used.byteOffset(groupElement("data"), groupElement("u64"));
    }

    /**
     * Checks, the first time it succeeds, that the kernel writes {@code struct epoll_event}
     * as this layout says ({@link EpollEventCheck}). A failure to make the round trip
     * (EMFILE, ENOMEM) is not remembered: the next call tries again.
     *
     * @throws UnsupportedOperationException if there are no bindings for the architecture,
     *     or the kernel wrote the struct elsewhere
     * @throws ErrnoException if the round trip could not be made
     */
    void verify() throws ErrnoException {
        if (verified) {
            return;
        }
        if (!supported) {
            throw new UnsupportedOperationException("epoll4j has no bindings for this architecture, os.arch "
                    + osArch + ": it has them for " + SUPPORTED);
        }
        String found = EpollEventCheck.mismatch(this);
        if (found != null) {
            throw new UnsupportedOperationException("the kernel does not write struct epoll_event as epoll4j's "
                    + this + " say, on os.arch " + osArch + ": " + found);
        }
        verified = true;
    }

    @Override
    public String toString() {
        return arch + " bindings (" + size + " bytes, events at " + eventsOffset + ", data at " + dataOffset + ")";
    }
}
