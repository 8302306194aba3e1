// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;

/**
 * The one place where errno is captured, named and turned into {@link ErrnoException}.
 *
 * <p>jextract's handles do not capture errno, and reading {@code __errno_location()}
 * after a downcall is unreliable (the JVM may make system calls in between), so every
 * syscall handle is built here from jextract's descriptor and the function's address
 * ({@link Symbols}) with
 * {@code Linker.Option.captureCallState("errno")}. Callers pass a capture segment
 * ({@link #allocateCapture}) as the first argument.
 */
public final class Errno {
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET = CAPTURE_LAYOUT.byteOffset(groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /* glibc 2.32+; elsewhere errors are named by number. */
    private static final boolean HAS_NAMES = Symbols.exists("strerrorname_np") && Symbols.exists("strerrordesc_np");
    private static final MethodHandle STRERRORNAME =
            HAS_NAMES ? Symbols.handle("strerrorname_np", Libc.strerrorname_np$descriptor()) : null;
    private static final MethodHandle STRERRORDESC =
            HAS_NAMES ? Symbols.handle("strerrordesc_np", Libc.strerrordesc_np$descriptor()) : null;
    private static final long MAX_MESSAGE = 256;

    static {
        // Load what naming an errno needs now: at EMFILE, a JVM run from a class
        // directory cannot open the class file of jextract's lazy holder classes.
        name(0);
        description(0);
    }

    private Errno() {}

    /** The symbolic name of {@code errno}, e.g. {@code "EEXIST"}. */
    public static String name(int errno) {
        String name = HAS_NAMES ? string(call(STRERRORNAME, errno)) : null;
        return name != null ? name : "errno " + errno;
    }

    /** The description of {@code errno}, e.g. {@code "File exists"}. */
    public static String description(int errno) {
        String description = HAS_NAMES ? string(call(STRERRORDESC, errno)) : null;
        return description != null ? description : "Unknown error " + errno;
    }

    /** Allocates a segment that capturing handles write errno into. */
    static MemorySegment allocateCapture(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /** The errno that the last capturing call through {@code capture} left. */
    static int errno(MemorySegment capture) {
        return capture.get(JAVA_INT, ERRNO_OFFSET);
    }

    /** Whether the failed call's errno means "try again later": EAGAIN or EINTR. */
    static boolean wouldBlock(MemorySegment capture) {
        int errno = errno(capture);
        return errno == Libc.EAGAIN() || errno == Libc.EINTR();
    }

    /** The exception for a failed {@code call}, with the errno found in {@code capture}. */
    static ErrnoException exception(String call, MemorySegment capture) {
        return new ErrnoException(call, errno(capture));
    }

    /**
     * A handle for the C library's {@code function} ({@link Symbols}) that captures errno. Its type is the descriptor's
     * with a leading {@code MemorySegment} for the capture segment.
     */
    static MethodHandle capturing(String function, FunctionDescriptor descriptor) {
        return Symbols.handle(function, descriptor, CAPTURE_ERRNO);
    }

    /**
     * As {@link #capturing}, for calls that never block: the thread does not leave
     * the Java state around the call, which saves a transition on hot paths, and
     * heap segments may be passed (the GC waits for the call, which is short).
     */
    static MethodHandle capturingCritical(String function, FunctionDescriptor descriptor) {
        return Symbols.handle(function, descriptor, CAPTURE_ERRNO, Linker.Option.critical(true));
    }

    /**
     * What a downcall's {@code invokeExact} threw: an unchecked exception or error
     * (WrongThreadException, IllegalStateException for a closed arena) as it is;
     * anything else cannot happen.
     */
    static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("unexpected exception from a downcall", t);
    }

    private static MemorySegment call(MethodHandle strerror, int errno) {
        try {
            return (MemorySegment) strerror.invokeExact(errno);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @SuppressWarnings("restricted")
    private static String string(MemorySegment cString) {
        // glibc returns a pointer to a static string, or NULL for an unknown errno.
        return cString.equals(MemorySegment.NULL) ? null : cString.reinterpret(MAX_MESSAGE).getString(0);
    }
}
