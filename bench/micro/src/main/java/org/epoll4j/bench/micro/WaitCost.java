// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench.micro;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.Locale;
import org.epoll4j.epoll.Epoll;
import org.epoll4j.epoll.EpollEvents;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;
import org.epoll4j.ffi.pollfd;
import org.epoll4j.kernel.EventFd;

/**
 * The cost of one wait with exactly one ready fd as the number of registered fds grows:
 * {@code Epoll.wait(events, 0)} against {@code poll(2)} with timeout 0 over the same fds,
 * the O(1) against O(n) curve that is the reason epoll exists (issue #4 section 3).
 *
 * <p>The fds are eventfds, one fd each, so that 19,000 of them fit under the per-process
 * limit of 20,000. Fd 0 of the set is an eventfd with a count that is never drained: it is
 * readable for every wait (level-triggered), the others never are. The set grows from one
 * point to the next; every fd is registered with epoll once.
 *
 * <p>poll is called through a handle built from jextract's address and descriptor with the
 * options {@code Epoll.wait(events, 0)} uses: errno captured, critical (a zero timeout never
 * blocks). Each point is measured in batches of about {@link #BATCH_NANOS}, the epoll and
 * poll batches alternating so that a noisy neighbour hits both alike; the result is the
 * median batch.
 *
 * <p>Prints {@code registered_fds<TAB>epoll4j_ns<TAB>poll_ns}, one line per point, on
 * stdout (the format of {@code measure_wait_cost} in bench/run); progress goes to stderr.
 * Arguments: the fd counts, default {@link #DEFAULT_COUNTS}.
 */
public final class WaitCost {
    private static final int[] DEFAULT_COUNTS = {10, 100, 1000, 5000, 10000, 15000, 19000};
    private static final long BATCH_NANOS = 20_000_000;
    private static final int BATCHES = 21;
    private static final long WARMUP_NANOS = 1_500_000_000;

    private static final long POLLFD_SIZE = pollfd.layout().byteSize();
    private static final long POLLFD_FD = pollfd.fd$offset();
    private static final long POLLFD_EVENTS = pollfd.events$offset();
    private static final long ERRNO_OFFSET =
            Linker.Option.captureStateLayout().byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    @SuppressWarnings("restricted")
    private static final MethodHandle POLL = Linker.nativeLinker().downcallHandle(
            Libc.poll$address(), Libc.poll$descriptor(),
            Linker.Option.captureCallState("errno"), Linker.Option.critical(true));

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment capture = arena.allocate(Linker.Option.captureStateLayout());
    private final MemorySegment pollfds;
    private final Epoll epoll;
    private final EpollEvents events = EpollEvents.allocate(64);
    private final EventFd ready;
    private final int[] idle;
    private int registered;

    private WaitCost(int maxFds) throws ErrnoException {
        pollfds = arena.allocate(pollfd.layout(), maxFds);
        idle = new int[maxFds - 1];
        epoll = Epoll.open();
        ready = EventFd.open();
        ready.signal();
        register(ready.fd());
    }

    public static void main(String[] args) throws Throwable {
        int[] counts = args.length == 0 ? DEFAULT_COUNTS
                : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        WaitCost bench = new WaitCost(Arrays.stream(counts).max().orElseThrow());
        try {
            bench.run(counts);
        } finally {
            bench.close();
        }
    }

    private void run(int[] counts) throws Throwable {
        grow(counts[0]);
        // Both paths compiled by C2 before the first point counts.
        long end = System.nanoTime() + WARMUP_NANOS;
        while (System.nanoTime() < end) {
            batch(true, 10_000);
            batch(false, 10_000);
        }
        for (int count : counts) {
            grow(count);
            double[] epollNs = new double[BATCHES];
            double[] pollNs = new double[BATCHES];
            int epollCalls = calibrate(true);
            int pollCalls = calibrate(false);
            for (int b = 0; b < BATCHES; b++) {
                epollNs[b] = batch(true, epollCalls);
                pollNs[b] = batch(false, pollCalls);
            }
            System.out.printf(Locale.ROOT, "%d\t%.1f\t%.1f%n", count, median(epollNs), median(pollNs));
            System.out.flush();
            System.err.printf(Locale.ROOT, "[wait-cost] %5d fds: epoll batches %.0f..%.0f ns, poll %.0f..%.0f ns%n",
                    count, min(epollNs), max(epollNs), min(pollNs), max(pollNs));
        }
    }

    /** Calls per batch for a batch of about BATCH_NANOS; also warms this point up. */
    private int calibrate(boolean useEpoll) throws Throwable {
        int calls = 100;
        while (true) {
            long start = System.nanoTime();
            batch(useEpoll, calls);
            long took = System.nanoTime() - start;
            if (took >= BATCH_NANOS / 4) {
                return (int) Math.max(1, calls * (double) BATCH_NANOS / took);
            }
            calls *= 4;
        }
    }

    /** Makes {@code calls} waits; returns ns per wait. */
    private double batch(boolean useEpoll, int calls) throws Throwable {
        long start = System.nanoTime();
        if (useEpoll) {
            for (int i = 0; i < calls; i++) {
                check(epoll.wait(events, 0));
            }
        } else {
            for (int i = 0; i < calls; i++) {
                check((int) POLL.invokeExact(capture, pollfds, (long) registered, 0));
            }
        }
        return (System.nanoTime() - start) / (double) calls;
    }

    /** Exactly one fd is ready: anything else means the measurement is wrong. */
    private void check(int n) {
        if (n != 1) {
            throw new IllegalStateException("expected 1 ready fd, got " + n
                    + " (errno " + capture.get(JAVA_INT, ERRNO_OFFSET) + ")");
        }
    }

    /** Opens idle eventfds and registers them until {@code count} fds are registered. */
    private void grow(int count) throws ErrnoException {
        while (registered < count) {
            int fd = Libc.eventfd(0, Libc.EFD_NONBLOCK() | Libc.EFD_CLOEXEC());
            if (fd < 0) {
                throw new IllegalStateException("eventfd failed after " + registered
                        + " fds: is the fd limit (ulimit -n) above " + count + "?");
            }
            idle[registered - 1] = fd;
            register(fd);
        }
    }

    private void register(int fd) throws ErrnoException {
        epoll.add(fd, Epoll.IN, fd);
        MemorySegment entry = pollfds.asSlice(registered * POLLFD_SIZE, POLLFD_SIZE);
        entry.set(JAVA_INT, POLLFD_FD, fd);
        entry.set(JAVA_SHORT, POLLFD_EVENTS, (short) Libc.POLLIN());
        registered++;
    }

    private void close() {
        for (int i = 0; i < registered - 1; i++) {
            Libc.close(idle[i]);
        }
        ready.close();
        events.close();
        epoll.close();
        arena.close();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElseThrow();
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElseThrow();
    }
}
