package org.epoll4j;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.epoll4j.ffi.Libc;
import org.epoll4j.ffi.epoll_event;
import org.epoll4j.ffi.timespec;
import org.epoll4j.internal.Errno;
import org.epoll4j.internal.Fd;

/**
 * Whether epoll_pwait2 works here, decided once: glibc must export it and the
 * kernel must implement it (ENOSYS before Linux 5.11).
 */
final class PreciseWait {
    static final MethodHandle HANDLE;
    static final boolean AVAILABLE;

    static {
        boolean exported = Linker.nativeLinker().defaultLookup()
                .find("epoll_pwait2").isPresent();
        HANDLE = exported
                ? Errno.capturing(Libc.epoll_pwait2$address(), Libc.epoll_pwait2$descriptor())
                : null;
        AVAILABLE = exported && kernelImplements();
    }

    /**
     * Asks the kernel with an fd that cannot be valid: a kernel that has the call
     * answers EBADF, one that lacks it ENOSYS. No fd is needed, so the answer holds
     * even when the process is out of fds.
     */
    private static boolean kernelImplements() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Errno.allocateCapture(arena);
            MemorySegment zero = arena.allocate(timespec.layout());
            MemorySegment one = arena.allocate(epoll_event.layout());
            int n = (int) HANDLE.invokeExact(capture, -1, one, 1, zero, MemorySegment.NULL);
            return n >= 0 || Errno.errno(capture) != Libc.ENOSYS();
        } catch (Throwable t) {
            throw Fd.unexpected(t);
        }
    }
}
