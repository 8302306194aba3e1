package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.EventFd;
import org.epoll4j.testing.Pipe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** File descriptors of the application's on the loop: pipes and eventfds, each trigger. */
@Timeout(30)
class WatchTest {
    @Test
    void aLevelTriggeredPipeIsReportedUntilItIsDrained() throws Exception {
        try (LoopThread loop = LoopThread.start(); Pipe pipe = Pipe.open()) {
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
        try (LoopThread loop = LoopThread.start(); Pipe pipe = Pipe.open()) {
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
        try (LoopThread loop = LoopThread.start(); EventFd eventFd = EventFd.open()) {
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
        try (LoopThread loop = LoopThread.start(); Pipe pipe = Pipe.open()) {
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
        try (LoopThread loop = LoopThread.start(); Pipe pipe = Pipe.open()) {
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
        try (LoopThread loop = LoopThread.start(); Pipe pipe = Pipe.open()) {
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
        try (LoopThread loop = LoopThread.start(); Pipe pipe = Pipe.open()) {
            WatchHandler quiet = (watch, ready) -> {};
            loop.call(() -> loop.loop().watch(pipe.readFd(), Watch.READ, Watch.Trigger.LEVEL, quiet));
            ErrnoException twice = loop.call(() -> assertThrows(ErrnoException.class,
                    () -> loop.loop().watch(pipe.readFd(), Watch.READ, Watch.Trigger.LEVEL, quiet)));
            assertEquals("EEXIST", twice.errnoName());
            assertInstanceOf(IllegalArgumentException.class, loop.call(() -> assertThrows(RuntimeException.class,
                    () -> loop.loop().watch(pipe.writeFd(), 16, Watch.Trigger.LEVEL, quiet))));
            assertInstanceOf(IllegalArgumentException.class, loop.call(() -> assertThrows(RuntimeException.class,
                    () -> loop.loop().watch(-1, Watch.READ, Watch.Trigger.LEVEL, quiet))));
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
}
