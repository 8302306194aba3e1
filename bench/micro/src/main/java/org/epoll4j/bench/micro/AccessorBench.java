// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench.micro;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.epoll4j.epoll.Epoll;
import org.epoll4j.epoll.EpollEvents;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.EpollEventLayout;
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
 * Reading {@code events(i)} and {@code data(i)} of every entry a wait filled (16 ready
 * eventfds) through {@link EpollEvents} against {@code MemorySegment.get} at the same offsets
 * of the same array: what the accessors' bounds and liveness checks cost.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AccessorBench {
    private static final int READY = 16;
    // The running architecture's layout, from its generated bindings (org.epoll4j.ffi.<arch>).
    private static final long STRUCT_SIZE = EpollEventLayout.SIZE;
    private static final long EVENTS_OFFSET = EpollEventLayout.EVENTS_OFFSET;
    private static final long DATA_OFFSET = EpollEventLayout.DATA_OFFSET;

    private final List<EventFd> fds = new ArrayList<>();
    private Epoll epoll;
    private EpollEvents events;
    private MemorySegment array;
    private int filled;

    @Setup
    public void fill() throws ErrnoException {
        epoll = Epoll.open();
        events = EpollEvents.allocate(64);
        for (int i = 0; i < READY; i++) {
            EventFd fd = EventFd.open();
            fds.add(fd);
            fd.signal();
            epoll.add(fd.fd(), Epoll.IN, 1000 + i);
        }
        filled = epoll.wait(events, 0);
        if (filled != READY) {
            throw new IllegalStateException("expected " + READY + " ready eventfds, got " + filled);
        }
        array = events.segment();
    }

    @TearDown
    public void close() {
        fds.forEach(EventFd::close);
        events.close();
        epoll.close();
    }

    @Benchmark
    public long library() {
        long sum = 0;
        for (int i = 0; i < events.size(); i++) {
            sum += events.events(i) + events.data(i);
        }
        return sum;
    }

    @Benchmark
    public long raw() {
        long sum = 0;
        for (int i = 0; i < filled; i++) {
            long entry = i * STRUCT_SIZE;
            sum += array.get(JAVA_INT_UNALIGNED, entry + EVENTS_OFFSET)
                    + array.get(JAVA_LONG_UNALIGNED, entry + DATA_OFFSET);
        }
        return sum;
    }
}
