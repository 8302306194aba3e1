// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.epoll;

import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandles;
import java.time.Duration;
import java.util.Objects;
import org.epoll4j.ffi.Libc;
import org.epoll4j.kernel.Syscalls;

/**
 * One epoll instance: a kernel set of file descriptors and the events each is
 * registered for. See <a href="https://man7.org/linux/man-pages/man7/epoll.7.html">epoll(7)</a>.
 *
 * {@snippet class="org.epoll4j.snippets.EpollSnippets" region="epoll"}
 *
 * <p>Notes:
 * <ul>
 * <li>Threading: an {@code Epoll} from {@link #open()} belongs to the thread that opened
 *     it, like the confined memory it owns; calls from other threads throw
 *     {@link WrongThreadException}. One from {@link #openShared()} may be handed from
 *     thread to thread; calls must not overlap. To wake a thread blocked in {@code wait},
 *     make an fd in its set ready (an eventfd).
 * <li>Triggering is level-triggered unless {@link #ET} is given: a level-triggered fd is
 *     reported by every wait while it stays ready; an edge-triggered fd once per change.
 *     {@link #ONESHOT} disables the fd after one report until {@link #modify} re-arms it.
 * <li>{@link #ERR} and {@link #HUP} are always reported, whether asked for or not.
 * <li>A signal that interrupts a wait (EINTR) does not surface: the wait goes on for
 *     what is left of the timeout. A wait may still return 0 events before the timeout
 *     ends only if the kernel wakes it spuriously, which epoll does not document.
 * <li>Closing an fd removes it from the set only once every duplicate of it is closed;
 *     {@link #delete} it first.
 * </ul>
 */
public final class Epoll implements AutoCloseable {
    /** Readable (EPOLLIN). */
    public static final int IN = Libc.EPOLLIN();
    /** Writable (EPOLLOUT). */
    public static final int OUT = Libc.EPOLLOUT();
    /** Urgent data (EPOLLPRI). */
    public static final int PRI = Libc.EPOLLPRI();
    /** An error condition; always reported (EPOLLERR). */
    public static final int ERR = Libc.EPOLLERR();
    /** Hang-up; always reported (EPOLLHUP). */
    public static final int HUP = Libc.EPOLLHUP();
    /** The peer closed its writing half (EPOLLRDHUP). */
    public static final int RDHUP = Libc.EPOLLRDHUP();
    /** Edge-triggered (EPOLLET). */
    public static final int ET = Libc.EPOLLET();
    /** Disable after one report until re-armed with {@link #modify} (EPOLLONESHOT). */
    public static final int ONESHOT = Libc.EPOLLONESHOT();
    /** Wake one of several epoll sets waiting on the same fd; {@link #add} only (EPOLLEXCLUSIVE). */
    public static final int EXCLUSIVE = Libc.EPOLLEXCLUSIVE();
    /** Hold a wake lock while the event is pending (EPOLLWAKEUP; needs CAP_BLOCK_SUSPEND). */
    public static final int WAKEUP = Libc.EPOLLWAKEUP();

    private final Thread owner;
    private final Arena arena;
    private final Syscalls sys;
    private final EpollWait waiting;
    private int fd;

    private Epoll(Arena arena, Thread owner) throws ErrnoException {
        this.arena = arena;
        this.owner = owner;
        this.sys = Syscalls.open(MethodHandles.lookup(), arena);
        this.fd = sys.epollCreate();
        this.waiting = new EpollWait(sys, fd);
    }

    /**
     * Opens a new epoll instance ({@code epoll_create1(EPOLL_CLOEXEC)}), owned by the
     * calling thread. The first open checks that the kernel writes {@code struct epoll_event}
     * where epoll4j's bindings for this architecture say (x86_64, aarch64, riscv64), with a
     * round trip through an epoll set of its own.
     *
     * @return the new instance, which the caller closes
     * @throws ErrnoException EMFILE, ENFILE or ENOMEM
     * @throws UnsupportedOperationException if epoll4j has no bindings for this
     *     architecture, or the kernel wrote the struct elsewhere: the message names the
     *     architecture and what the kernel wrote
     */
    public static Epoll open() throws ErrnoException {
        return open(Arena.ofConfined(), Thread.currentThread());
    }

    /**
     * Opens an epoll instance that any thread may use, one at a time: for an owner (an
     * event loop) opened on one thread and run on another.
     *
     * @return the new instance, which the caller closes
     * @throws ErrnoException EMFILE, ENFILE or ENOMEM
     * @throws UnsupportedOperationException as {@link #open()}
     */
    public static Epoll openShared() throws ErrnoException {
        return open(Arena.ofShared(), null);
    }

    private static Epoll open(Arena arena, Thread owner) throws ErrnoException {
        try {
            return new Epoll(arena, owner);
        } catch (ErrnoException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * The epoll file descriptor, which this instance owns and closes.
     *
     * @return the fd
     * @throws IllegalStateException once closed
     */
    public int fd() {
        checkUsable();
        return fd;
    }

    /**
     * Registers {@code fd} for {@code events}; {@code data} comes back with each of its
     * events ({@code EPOLL_CTL_ADD}). The fd stays the caller's: closing this instance
     * does not close it.
     *
     * @param fd the file descriptor to watch
     * @param events what to watch it for: {@link #IN}, {@link #OUT}, ... and flags such as
     *     {@link #ET}, or-ed
     * @param data the value that comes back with each of fd's events ({@link EpollEvents#data})
     * @throws IllegalArgumentException if fd is negative
     * @throws ErrnoException EEXIST if fd is registered already, EBADF if fd is not open,
     *     EPERM if fd does not support epoll (a regular file), EINVAL if fd is this epoll
     */
    public void add(int fd, int events, long data) throws ErrnoException {
        control(Libc.EPOLL_CTL_ADD(), fd, events, data);
    }

    /**
     * Changes the events and data of a registered {@code fd} ({@code EPOLL_CTL_MOD}).
     *
     * @param fd a file descriptor registered with {@link #add}
     * @param events what to watch it for from now on, as for {@link #add}
     * @param data the value that comes back with its events from now on
     * @throws IllegalArgumentException if fd is negative
     * @throws ErrnoException ENOENT if fd is not registered, EBADF if fd is not open,
     *     EINVAL if events has {@link #EXCLUSIVE}
     */
    public void modify(int fd, int events, long data) throws ErrnoException {
        control(Libc.EPOLL_CTL_MOD(), fd, events, data);
    }

    /**
     * Removes {@code fd} from the set ({@code EPOLL_CTL_DEL}).
     *
     * @param fd a file descriptor registered with {@link #add}
     * @throws IllegalArgumentException if fd is negative
     * @throws ErrnoException ENOENT if fd is not registered, EBADF if fd is not open
     */
    public void delete(int fd) throws ErrnoException {
        control(Libc.EPOLL_CTL_DEL(), fd, 0, 0);
    }

    /**
     * Waits for events and writes them to {@code events}; returns how many
     * ({@code epoll_wait}).
     *
     * @param events where the kernel writes the events, up to its capacity
     * @param timeoutMillis -1 to wait until an event, 0 to return at once, or a
     *     positive number of milliseconds
     * @return the number of events, 0 if the timeout passed first
     * @throws IllegalArgumentException if timeoutMillis is below -1
     * @throws ErrnoException as epoll_wait(2); EINTR is not thrown (see the class notes)
     */
    public int wait(EpollEvents events, int timeoutMillis) throws ErrnoException {
        checkUsable();
        if (timeoutMillis < -1) {
            throw new IllegalArgumentException("timeout must be -1, 0 or positive: " + timeoutMillis);
        }
        return events.filled(waiting.millis(events.array(), events.capacity(), timeoutMillis));
    }

    /**
     * Waits up to {@code timeout} for events, with nanosecond resolution where the kernel
     * and libc have {@code epoll_pwait2} (Linux 5.11, glibc 2.35) and millisecond
     * resolution, rounded up, where they don't.
     *
     * @param events where the kernel writes the events, up to its capacity
     * @param timeout how long to wait at most; zero returns at once
     * @return the number of events, 0 if the timeout passed first
     * @throws IllegalArgumentException if timeout is negative
     * @throws ErrnoException as epoll_wait(2); EINTR is not thrown (see the class notes)
     */
    public int wait(EpollEvents events, Duration timeout) throws ErrnoException {
        checkUsable();
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + timeout);
        }
        return events.filled(waiting.nanos(events.array(), events.capacity(), timeout));
    }

    /**
     * Whether {@link #close()} has not been called. Any thread.
     *
     * @return true until closed
     */
    public boolean isOpen() {
        return fd >= 0;
    }

    /**
     * Closes the epoll fd and frees its memory; fds in the set stay open. Idempotent.
     * Errors from close(2) are ignored: the fd is released whatever it reports.
     */
    @Override
    public void close() {
        if (fd < 0) {
            return;
        }
        checkOwner();
        int closing = fd;
        fd = -1;
        sys.close(closing);
        arena.close();
    }

    private void control(int op, int target, int events, long data) throws ErrnoException {
        checkUsable();
        if (target < 0) {
            throw new IllegalArgumentException("fd must not be negative: " + target);
        }
        sys.epollCtl(fd, op, target, events, data);
    }

    private void checkUsable() {
        if (fd < 0) {
            throw new IllegalStateException("Epoll is closed");
        }
        checkOwner();
    }

    private void checkOwner() {
        if (owner != null && Thread.currentThread() != owner) {
            throw new WrongThreadException("Epoll belongs to thread " + owner.getName()
                    + ", not to " + Thread.currentThread().getName());
        }
    }
}
