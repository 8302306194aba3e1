// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import org.epoll4j.ffi.Libc;

/**
 * Where the library's calls into the C library bind: where a C program's calls, and the
 * JVM's own, bind. That is {@code dlsym(RTLD_DEFAULT, name)}: the executable and the
 * libraries it was linked with and those of {@code LD_PRELOAD}, in load order, so libc's
 * symbol unless a preloaded library interposes one of the same name.
 *
 * <p>Not jextract's lookup, which asks first the libraries that the application's class
 * loader loaded ({@code System.load}, {@code System.loadLibrary}), then libc: through it,
 * any native library of the application that exports a {@code read}, a {@code close} or
 * a {@code free} would take the library's calls, by accident, with raw fds and native
 * memory. Such libraries are opened with {@code RTLD_LOCAL} and so stay out of this
 * scope. Interposing stays possible, deliberately and for the whole process, as for any
 * program: the fault-injection tests preload a library that wraps the system calls.
 */
final class Symbols {
    /* dlsym itself is libc's (libdl's before glibc 2.34), through the JDK's lookup of the C library. */
    private static final Optional<MemorySegment> DLSYM = Linker.nativeLinker().defaultLookup().find("dlsym");
    private static final MethodHandle LOOKUP = DLSYM.map(Symbols::dlsymHandle).orElse(null);

    private Symbols() {}

    /**
     * The address of the C library's function {@code name}, as a C program would call it.
     *
     * @throws UnsatisfiedLinkError if there is none
     */
    static MemorySegment find(String name) {
        return lookup(name).orElseThrow(() -> new UnsatisfiedLinkError("no symbol " + name + " in the C library"));
    }

    /** Whether the C library has function {@code name} (epoll_pwait2 came with glibc 2.35). */
    static boolean exists(String name) {
        return lookup(name).isPresent();
    }

    private static Optional<MemorySegment> lookup(String name) {
        if (LOOKUP == null) {
            // No dlsym to be found: the JDK's lookup of the C library, which no loaded library shadows either.
            return Linker.nativeLinker().defaultLookup().find(name);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = (MemorySegment) LOOKUP.invokeExact(Libc.RTLD_DEFAULT(), arena.allocateFrom(name));
            return address.equals(MemorySegment.NULL) ? Optional.empty() : Optional.of(address);
        } catch (Throwable t) {
            throw Errno.unexpected(t);
        }
    }

    /**
     * A downcall handle for the C library's {@code function}, of jextract's {@code descriptor}.
     *
     * @throws IllegalCallerException naming the flag to add, if native access is denied
     */
    @SuppressWarnings("restricted")
    static MethodHandle handle(String function, FunctionDescriptor descriptor, Linker.Option... options) {
        try {
            return Linker.nativeLinker().downcallHandle(find(function), descriptor, options);
        } catch (IllegalCallerException e) {
            throw new IllegalCallerException("epoll4j needs native access: run java with "
                    + "--enable-native-access=org.epoll4j (module path) or "
                    + "--enable-native-access=ALL-UNNAMED (class path)", e);
        }
    }

    @SuppressWarnings("restricted")
    private static MethodHandle dlsymHandle(MemorySegment dlsym) {
        return Linker.nativeLinker().downcallHandle(dlsym, Libc.dlsym$descriptor());
    }
}
