package org.epoll4j.bench.micro;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import org.epoll4j.ErrnoException;
import org.epoll4j.ffi.Libc;
import org.epoll4j.internal.Fd;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One {@code write} of 64 bytes into a non-blocking pipe and the {@code read} that takes
 * them back out, through the library's {@code Fd.write}/{@code Fd.read} against raw handles.
 * The pipe is empty after every invocation, so each one does the same work.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ReadWriteBench {
    private static final long SIZE = 64;
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
    private int readFd;
    private int writeFd;

    @Setup
    public void open() {
        arena = Arena.ofConfined();
        capture = arena.allocate(Linker.Option.captureStateLayout());
        buffer = arena.allocate(SIZE);
        MemorySegment fds = arena.allocate(JAVA_INT, 2);
        if (Libc.pipe2(fds, Libc.O_NONBLOCK() | Libc.O_CLOEXEC()) != 0) {
            throw new IllegalStateException("pipe2 failed");
        }
        readFd = fds.getAtIndex(JAVA_INT, 0);
        writeFd = fds.getAtIndex(JAVA_INT, 1);
    }

    @TearDown
    public void close() {
        Libc.close(readFd);
        Libc.close(writeFd);
        arena.close();
    }

    @Benchmark
    public long library() throws ErrnoException {
        Fd.write(capture, writeFd, buffer, SIZE);
        return Fd.read(capture, readFd, buffer, SIZE);
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
