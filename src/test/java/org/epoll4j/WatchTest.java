// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;
import org.epoll4j.ffi.itimerspec;
import org.epoll4j.ffi.signalfd_siginfo;
import org.epoll4j.ffi.sigset_t;
import org.epoll4j.ffi.timespec;
import org.epoll4j.kernel.EventFd;
import org.epoll4j.testing.Pipe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** File descriptors of the application's on the loop: pipes, eventfds, timerfds and signalfds. */
@Timeout(30)
class WatchTest {
    @Test
    void aLevelTriggeredPipeIsReportedUntilItIsDrained() throws Exception {
        try (Pipe pipe = Pipe.open(); LoopThread loop = LoopThread.start()) {
            AtomicInteger reads = new AtomicInteger();
            loop.call(() -> loop.loop().watch(pipe.readFd(), Watch.READ, Watch.Trigger.LEVEL, (watch, ready) -> {
                if ((ready & Watch.READ) != 0 && pipe.readOne()) {
                    reads.incrementAndGet(); // one byte a report: level-triggered, it comes back
                }
            }));
            pipe.write(10);
            Eventually.until("ten reports", () -> reads.get() == 10);
            loop.call(() -> null);
            assertEquals(10, reads.get());
        }
    }

    @Test
    void anEdgeTriggeredPipeIsReportedOncePerWrite() throws Exception {
        try (Pipe pipe = Pipe.open(); LoopThread loop = LoopThread.start()) {
            AtomicInteger reports = new AtomicInteger();
            loop.call(() -> loop.loop().watch(pipe.readFd(), Watch.READ, Watch.Trigger.EDGE,
                    (watch, ready) -> reports.incrementAndGet())); // reads nothing
            pipe.write(10);
            Eventually.until("a report", () -> reports.get() == 1);
            loop.call(() -> null);
            loop.call(() -> null);
            assertEquals(1, reports.get(), "still ready, unread, but reported once");
            pipe.write(1);
            Eventually.until("a second report for the second write", () -> reports.get() == 2);
            assertEquals(11, pipe.drain());
        }
    }

    @Test
    void aOneShotEventfdIsReportedOnceUntilRearmed() throws Exception {
        try (EventFd eventFd = EventFd.open(); LoopThread loop = LoopThread.start()) {
            AtomicInteger reports = new AtomicInteger();
            Watch watch = loop.call(() -> loop.loop().watch(eventFd.fd(), Watch.READ, Watch.Trigger.ONE_SHOT,
                    (w, ready) -> reports.incrementAndGet()));
            eventFd.signal();
            Eventually.until("a report", () -> reports.get() == 1);
            loop.call(() -> null);
            eventFd.signal();
            loop.call(() -> null);
            assertEquals(1, reports.get(), "disabled after its one report");
            loop.call(() -> {
                watch.rearm();
                return null;
            });
            Eventually.until("a report once re-armed", () -> reports.get() == 2);
            assertEquals(2, eventFd.drain());
        }
    }

    @Test
    void theWriteEndOfAPipeIsReportedWritableAndItsReaderClosingAsAnError() throws Exception {
        try (Pipe pipe = Pipe.open(); LoopThread loop = LoopThread.start()) {
            List<Integer> seen = new CopyOnWriteArrayList<>();
            Watch watch = loop.call(() -> loop.loop().watch(pipe.writeFd(), Watch.WRITE, Watch.Trigger.EDGE,
                    (w, ready) -> seen.add(ready)));
            Eventually.until("writable", () -> seen.contains(Watch.WRITE));
            loop.call(() -> {
                watch.setInterest(0);
                return null;
            });
            pipe.closeReadEnd();
            Eventually.until("the error of a pipe with no reader", () -> seen.stream()
                    .anyMatch(ready -> (ready & Watch.ERROR) != 0));
        }
    }

    @Test
    void closingAWatchLeavesTheFdOpenAndQuietAndRunsOnCloseOnce() throws Exception {
        try (Pipe pipe = Pipe.open(); LoopThread loop = LoopThread.start()) {
            AtomicInteger reports = new AtomicInteger();
            List<Object> closes = new CopyOnWriteArrayList<>();
            Watch watch = loop.call(() -> loop.loop().watch(pipe.readFd(), Watch.READ, Watch.Trigger.LEVEL,
                    handler(reports, closes)));
            loop.call(() -> {
                watch.close();
                watch.close();
                return null;
            });
            assertEquals(List.of("onClose(null)"), closes);
            pipe.write(3);
            loop.call(() -> null);
            loop.call(() -> null);
            assertEquals(0, reports.get(), "no report once closed");
            assertEquals(3, pipe.drain(), "the fd is still open: the application's");
            assertInstanceOf(IllegalStateException.class, loop.call(() -> assertThrows(IllegalStateException.class,
                    watch::rearm)));
        }
    }

    @Test
    void aHandlerThatThrowsClosesItsWatchWithTheExceptionAsCause() throws Exception {
        RuntimeException thrown = new IllegalStateException("the handler's bug");
        try (Pipe pipe = Pipe.open(); LoopThread loop = LoopThread.start()) {
            CompletableFuture<IOException> cause = new CompletableFuture<>();
            loop.call(() -> loop.loop().watch(pipe.readFd(), Watch.READ, Watch.Trigger.LEVEL, new WatchHandler() {
                @Override
                public void onReady(Watch watch, int ready) {
                    throw thrown;
                }

                @Override
                public void onClose(Watch watch, IOException failure) {
                    cause.complete(failure);
                }
            }));
            pipe.write(1);
            IOException failure = cause.get(20, TimeUnit.SECONDS);
            assertSame(thrown, failure.getCause());
            assertEquals(1, pipe.drain(), "still open");
            loop.call(() -> null); // the report follows onClose, in the same turn
            assertEquals(List.of(thrown), loop.takeReported(), "the exception goes to the ErrorHandler too");
        }
    }

    @Test
    void closingTheLoopClosesItsWatchesButNotTheirFds() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            List<Object> closes = new CopyOnWriteArrayList<>();
            LoopThread loop = LoopThread.start();
            loop.call(() -> loop.loop().watch(pipe.readFd(), Watch.READ, Watch.Trigger.LEVEL,
                    handler(new AtomicInteger(), closes)));
            loop.close();
            assertEquals(List.of("onClose(null)"), closes);
            pipe.write(1);
            assertEquals(1, pipe.drain());
        }
    }

    @Test
    void watchingAnFdTwiceFailsWithEEXISTAndNonsenseIsRefused() throws Exception {
        try (Pipe pipe = Pipe.open(); LoopThread loop = LoopThread.start()) {
            WatchHandler quiet = (watch, ready) -> {};
            loop.call(() -> loop.loop().watch(pipe.readFd(), Watch.READ, Watch.Trigger.LEVEL, quiet));
            ErrnoException twice = loop.call(() -> assertThrows(ErrnoException.class,
                    () -> loop.loop().watch(pipe.readFd(), Watch.READ, Watch.Trigger.LEVEL, quiet)));
            assertEquals("EEXIST", twice.errnoName());
            assertInstanceOf(IllegalArgumentException.class, loop.call(() -> assertThrows(RuntimeException.class,
                    () -> loop.loop().watch(pipe.writeFd(), 16, Watch.Trigger.LEVEL, quiet))));
            assertInstanceOf(IllegalArgumentException.class, loop.call(() -> assertThrows(RuntimeException.class,
                    () -> loop.loop().watch(-1, Watch.READ, Watch.Trigger.LEVEL, quiet))));
            // ERROR and HANGUP share their bits with EDGE and ONE_SHOT: still no interest.
            assertInstanceOf(IllegalArgumentException.class, loop.call(() -> assertThrows(RuntimeException.class,
                    () -> loop.loop().watch(pipe.writeFd(), Watch.WRITE | Watch.ERROR, Watch.Trigger.EDGE, quiet))));
            assertInstanceOf(IllegalArgumentException.class, loop.call(() -> assertThrows(RuntimeException.class,
                    () -> loop.loop().watch(pipe.writeFd(), Watch.WRITE | Watch.HANGUP, Watch.Trigger.ONE_SHOT,
                            quiet))));
            // The fd is checked before the handler.
            assertInstanceOf(IllegalArgumentException.class, loop.call(() -> assertThrows(RuntimeException.class,
                    () -> loop.loop().watch(-1, Watch.READ, Watch.Trigger.LEVEL, null))));
            assertThrows(WrongThreadException.class,
                    () -> loop.loop().watch(pipe.writeFd(), Watch.WRITE, Watch.Trigger.LEVEL, quiet));
        }
    }

    private static WatchHandler handler(AtomicInteger reports, List<Object> closes) {
        return new WatchHandler() {
            @Override
            public void onReady(Watch watch, int ready) {
                reports.incrementAndGet();
            }

            @Override
            public void onClose(Watch watch, IOException cause) {
                closes.add(cause == null ? "onClose(null)" : cause);
            }
        };
    }

    @Test
    void aTimerfdIsReportedAtEachExpiryLevelOrEdgeAndOnceWhenOneShot() throws Exception {
        for (Watch.Trigger trigger : Watch.Trigger.values()) {
            try (TimerFd timer = TimerFd.open(); LoopThread loop = LoopThread.start()) {
                AtomicInteger reports = new AtomicInteger();
                AtomicInteger expirations = new AtomicInteger();
                loop.call(() -> loop.loop().watch(timer.fd(), Watch.READ, trigger, (watch, ready) -> {
                    reports.incrementAndGet();
                    if (trigger != Watch.Trigger.ONE_SHOT) {
                        expirations.addAndGet((int) timer.read()); // read, or LEVEL would report again at once
                    }
                }));
                timer.every(Duration.ofMillis(2));
                if (trigger == Watch.Trigger.ONE_SHOT) {
                    Eventually.until("its one report", () -> reports.get() == 1);
                    Thread.sleep(20); // ten more expiries, none reported
                    loop.call(() -> null);
                    assertEquals(1, reports.get(), trigger + ": reports before rearm");
                    assertTrue(timer.read() >= 5, "the expiries piled up unread");
                } else {
                    Eventually.until("ten expiries", () -> expirations.get() >= 10);
                    assertTrue(reports.get() >= 2, trigger + ": reports " + reports.get());
                }
            }
        }
    }

    @Test
    void aSignalfdReadsABlockedSignalThroughTheLoop() throws Exception {
        try (LoopThread loop = LoopThread.start()) {
            CompletableFuture<Integer> signal = new CompletableFuture<>();
            // On the loop thread: SIGUSR1 blocked there, its signalfd watched, then sent to that thread only.
            SignalFd signals = loop.call(() -> {
                SignalFd fd = SignalFd.blockAndOpen(Libc.SIGUSR1());
                loop.loop().watch(fd.fd(), Watch.READ, Watch.Trigger.EDGE, (watch, ready) -> {
                    signal.complete(fd.read());
                    watch.close();
                });
                return fd;
            });
            loop.call(() -> {
                signals.sendToThisThread();
                return null;
            });
            assertEquals(Libc.SIGUSR1(), signal.get(20, TimeUnit.SECONDS));
            loop.call(() -> {
                signals.close();
                return null;
            });
        }
    }

    /** A timerfd on CLOCK_MONOTONIC: a test fixture. */
    private static final class TimerFd implements AutoCloseable {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment buffer = arena.allocate(Long.BYTES);
        private final int fd;

        private TimerFd(int fd) {
            this.fd = fd;
        }

        static TimerFd open() {
            int fd = Libc.timerfd_create(Libc.CLOCK_MONOTONIC(), Libc.TFD_NONBLOCK() | Libc.TFD_CLOEXEC());
            assertTrue(fd >= 0, "timerfd_create");
            return new TimerFd(fd);
        }

        int fd() {
            return fd;
        }

        /** Expires every {@code period}, from one period from now. */
        void every(Duration period) {
            MemorySegment spec = arena.allocate(itimerspec.layout());
            for (long at : new long[] {itimerspec.it_interval$offset(), itimerspec.it_value$offset()}) {
                spec.set(JAVA_LONG, at + timespec.tv_sec$offset(), period.toSecondsPart());
                spec.set(JAVA_LONG, at + timespec.tv_nsec$offset(), period.toNanosPart());
            }
            assertEquals(0, Libc.timerfd_settime(fd, 0, spec, MemorySegment.NULL), "timerfd_settime");
        }

        /** The expiries since the last read, 0 if none. */
        long read() {
            return Libc.read(fd, buffer, Long.BYTES) == Long.BYTES ? buffer.get(JAVA_LONG, 0) : 0;
        }

        @Override
        public void close() {
            Libc.close(fd);
            arena.close();
        }
    }

    /** A signalfd for a signal blocked on the thread that made it: a test fixture for that thread. */
    private static final class SignalFd {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment mask = arena.allocate(sigset_t.layout());
        private final MemorySegment info = arena.allocate(signalfd_siginfo.layout());
        private final int signal;
        private final int fd;

        private SignalFd(int signal) {
            this.signal = signal;
            assertEquals(0, Libc.sigemptyset(mask));
            assertEquals(0, Libc.sigaddset(mask, signal));
            // Blocked on this thread first: sent to it, the signal waits for the signalfd, and the
            // JVM's default action (the end of the process, for SIGUSR1) never comes.
            assertEquals(0, Libc.pthread_sigmask(Libc.SIG_BLOCK(), mask, MemorySegment.NULL));
            fd = Libc.signalfd(-1, mask, Libc.SFD_NONBLOCK() | Libc.SFD_CLOEXEC());
            assertTrue(fd >= 0, "signalfd");
        }

        static SignalFd blockAndOpen(int signal) {
            return new SignalFd(signal);
        }

        int fd() {
            return fd;
        }

        /** Sends the signal to the calling thread, which must be the one that made this. */
        void sendToThisThread() {
            assertEquals(0, Libc.tgkill(Libc.getpid(), Libc.gettid(), signal));
        }

        /** The number of the signal read, -1 if none waits. */
        int read() {
            long n = Libc.read(fd, info, info.byteSize());
            return n == info.byteSize() ? signalfd_siginfo.ssi_signo(info) : -1;
        }

        /** Closes the fd and unblocks the signal again; on the thread that made it. */
        void close() {
            Libc.close(fd);
            Libc.pthread_sigmask(Libc.SIG_UNBLOCK(), mask, MemorySegment.NULL);
            arena.close();
        }
    }
}
