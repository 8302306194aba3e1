// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench.micro;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;
import org.epoll4j.kernel.EventFd;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One {@code write} of 8 bytes to an eventfd and the {@code read} that drains it, through
 * the library's {@code EventFd.signal}/{@code drain} (the loop's wake-up; its only
 * read/write path that code outside the library can reach) against raw handles. The
 * count is 0 after every invocation, so each one does the same work.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ReadWriteBench {
    private static final long SIZE = Long.BYTES;
    private static final MethodHandle READ_CAPTURING_CRITICAL =
            Downcalls.capturingCritical(Libc.read$address(), Libc.read$descriptor());
    private static final MethodHandle WRITE_CAPTURING_CRITICAL =
            Downcalls.capturingCritical(Libc.write$address(), Libc.write$descriptor());
    private static final MethodHandle READ_CAPTURING =
            Downcalls.capturing(Libc.read$address(), Libc.read$descriptor());
    private static final MethodHandle WRITE_CAPTURING =
            Downcalls.capturing(Libc.write$address(), Libc.write$descriptor());
    private static final MethodHandle READ_PLAIN = Downcalls.plain(Libc.read$address(), Libc.read$descriptor());
    private static final MethodHandle WRITE_PLAIN = Downcalls.plain(Libc.write$address(), Libc.write$descriptor());

    private Arena arena;
    private MemorySegment capture;
    private MemorySegment buffer;
    private EventFd eventFd;
    private int readFd;
    private int writeFd;

    @Setup
    public void open() throws ErrnoException {
        arena = Arena.ofConfined();
        capture = arena.allocate(Linker.Option.captureStateLayout());
        buffer = arena.allocate(JAVA_LONG);
        buffer.set(JAVA_LONG, 0, 1L);
        eventFd = EventFd.open();
        readFd = eventFd.fd();
        writeFd = eventFd.fd();
    }

    @TearDown
    public void close() {
        eventFd.close();
        arena.close();
    }

    @Benchmark
    public long library() throws ErrnoException {
        eventFd.signal();
        return eventFd.drain();
    }

    @Benchmark
    public long rawCapturingCritical() throws Throwable {
        long written = (long) WRITE_CAPTURING_CRITICAL.invokeExact(capture, writeFd, buffer, SIZE);
        return written + (long) READ_CAPTURING_CRITICAL.invokeExact(capture, readFd, buffer, SIZE);
    }

    @Benchmark
    public long rawCapturing() throws Throwable {
        long written = (long) WRITE_CAPTURING.invokeExact(capture, writeFd, buffer, SIZE);
        return written + (long) READ_CAPTURING.invokeExact(capture, readFd, buffer, SIZE);
    }

    @Benchmark
    public long rawPlain() throws Throwable {
        long written = (long) WRITE_PLAIN.invokeExact(writeFd, buffer, SIZE);
        return written + (long) READ_PLAIN.invokeExact(readFd, buffer, SIZE);
    }
}
