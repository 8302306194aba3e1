// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench.micro;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The raw baselines: handles built straight from jextract's address and descriptor, as a
 * user of java.lang.foreign would without the library. Three flavours, so that a ratio
 * compares like with like:
 * <ul>
 * <li>{@link #capturingCritical}: the options the library uses for the call measured
 *     (errno captured, {@code critical(true)} because the call never blocks): the library's own overhead;
 * <li>{@link #capturing}: errno captured, not critical: what critical saves;
 * <li>{@link #plain}: no options, as jextract's {@code foo$handle()}: what capturing errno costs.
 * </ul>
 */
final class Downcalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    private Downcalls() {}

    static MethodHandle capturingCritical(MemorySegment address, FunctionDescriptor descriptor) {
        return handle(address, descriptor, ERRNO, Linker.Option.critical(true));
    }

    static MethodHandle capturing(MemorySegment address, FunctionDescriptor descriptor) {
        return handle(address, descriptor, ERRNO);
    }

    static MethodHandle plain(MemorySegment address, FunctionDescriptor descriptor) {
        return handle(address, descriptor);
    }

    @SuppressWarnings("restricted")
    private static MethodHandle handle(MemorySegment address, FunctionDescriptor descriptor,
                                       Linker.Option... options) {
        return LINKER.downcallHandle(address, descriptor, options);
    }
}
