// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench.micro;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import org.epoll4j.epoll.Epoll;
import org.epoll4j.epoll.EpollEvents;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@code Epoll.wait(events, 0)} on an empty set against {@code epoll_wait(epfd, events, n, 0)}
 * on raw handles: the library's cost per wait above the syscall (owner and argument checks,
 * the EINTR test, recording the count).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class WaitBench {
    private static final int CAPACITY = 64;
    private static final MethodHandle WAIT_CAPTURING_CRITICAL =
            Downcalls.capturingCritical(Libc.epoll_wait$address(), Libc.epoll_wait$descriptor());
    private static final MethodHandle WAIT_CAPTURING =
            Downcalls.capturing(Libc.epoll_wait$address(), Libc.epoll_wait$descriptor());
    private static final MethodHandle WAIT_PLAIN =
            Downcalls.plain(Libc.epoll_wait$address(), Libc.epoll_wait$descriptor());

    private Epoll epoll;
    private EpollEvents events;
    private Arena arena;
    private MemorySegment capture;
    private MemorySegment rawEvents;
    private int epfd;

    @Setup
    public void open() throws ErrnoException {
        epoll = Epoll.open();
        events = EpollEvents.allocate(CAPACITY);
        arena = Arena.ofConfined();
        capture = arena.allocate(Linker.Option.captureStateLayout());
        rawEvents = arena.allocate(events.segment().byteSize());
        epfd = epoll.fd();
    }

    @TearDown
    public void close() {
        arena.close();
        events.close();
        epoll.close();
    }

    @Benchmark
    public int library() throws ErrnoException {
        return epoll.wait(events, 0);
    }

    @Benchmark
    public int rawCapturingCritical() throws Throwable {
        return (int) WAIT_CAPTURING_CRITICAL.invokeExact(capture, epfd, rawEvents, CAPACITY, 0);
    }

    @Benchmark
    public int rawCapturing() throws Throwable {
        return (int) WAIT_CAPTURING.invokeExact(capture, epfd, rawEvents, CAPACITY, 0);
    }

    @Benchmark
    public int rawPlain() throws Throwable {
        return (int) WAIT_PLAIN.invokeExact(epfd, rawEvents, CAPACITY, 0);
    }
}
