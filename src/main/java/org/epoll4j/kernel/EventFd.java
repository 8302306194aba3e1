// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;

/**
 * A non-blocking eventfd (eventfd(2)): a kernel counter that is readable while
 * non-zero. Any thread may {@link #signal}; one thread {@link #drain}s.
 *
 * <p>Its memory comes from a shared arena, so that other threads can signal it;
 * {@link #close} must not race with {@code signal} (the owner of the eventfd
 * decides when no thread can signal any more).
 */
public final class EventFd implements AutoCloseable {
    private static final MethodHandle EVENTFD =
            Errno.capturing("eventfd", Libc.eventfd$descriptor());

    private final Arena arena;
    private final Syscalls sys;
    private final MemorySegment capture;
    private final MemorySegment value;
    private final int fd;
    private boolean closed;

    private EventFd(Arena arena) throws ErrnoException {
        this.arena = arena;
        this.sys = new Syscalls(arena);
        this.capture = Errno.allocateCapture(arena);
        this.value = arena.allocate(JAVA_LONG);
        int result;
        try {
            result = (int) EVENTFD.invokeExact(capture, 0, Libc.EFD_NONBLOCK() | Libc.EFD_CLOEXEC());
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
        if (result < 0) {
            throw Errno.exception("eventfd(0, EFD_NONBLOCK|EFD_CLOEXEC)", capture);
        }
        this.fd = result;
    }

    /** Opens an eventfd with a zero count. */
    public static EventFd open() throws ErrnoException {
        Arena arena = Arena.ofShared();
        try {
            return new EventFd(arena);
        } catch (ErrnoException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The eventfd's file descriptor. */
    public int fd() {
        return fd;
    }

    /** Adds 1 to the count, making the fd readable. Safe from any thread. */
    public synchronized void signal() throws ErrnoException {
        if (closed) {
            throw new IllegalStateException("EventFd is closed");
        }
        value.set(JAVA_LONG, 0, 1L);
        // Fails only once the count would reach 2^64 - 1: it is readable already.
        sys.write(fd, value, Long.BYTES);
    }

    /** Reads and resets the count; returns it, 0 if it was already 0. */
    public synchronized long drain() throws ErrnoException {
        if (closed) {
            throw new IllegalStateException("EventFd is closed");
        }
        return sys.read(fd, value, Long.BYTES) > 0 ? value.get(JAVA_LONG, 0) : 0;
    }

    /** Closes the eventfd and frees its memory. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            sys.close(fd);
            arena.close();
        }
    }
}
