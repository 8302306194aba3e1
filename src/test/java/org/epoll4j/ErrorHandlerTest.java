// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.epoll4j.kernel.EventFd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a loop reports, and where: its ErrorHandler, by default a System.Logger. */
@Timeout(60)
class ErrorHandlerTest {
    private record Report(String where, Throwable error) {}

    @Test
    void tasksTimersAndHandlersThatThrowAreReportedAndTheLoopGoesOn() throws Exception {
        List<Report> reports = new CopyOnWriteArrayList<>();
        RuntimeException fromTask = new IllegalStateException("task");
        RuntimeException fromTimer = new IllegalStateException("timer");
        RuntimeException fromHandler = new IllegalStateException("handler");
        try (LoopThread loop = LoopThread.serve((connection, data) -> {
            throw fromHandler;
        }); Socket client = EchoClient.connect(loop.address())) {
            loop.loop().setErrorHandler((where, error) -> reports.add(new Report(where, error)));
            loop.loop().execute(() -> {
                throw fromTask;
            });
            loop.loop().schedule(Duration.ZERO, () -> {
                throw fromTimer;
            });
            client.getOutputStream().write(1);
            assertTrue(EchoClient.hasEnded(client), "the connection whose handler threw ends");
            Eventually.until("three reports", () -> reports.size() == 3);
            assertEquals("served", loop.call(() -> "served"));
        }
        assertEquals(new Report("a task", fromTask), find(reports, fromTask));
        assertEquals(new Report("a timer", fromTimer), find(reports, fromTimer));
        Report handler = find(reports, fromHandler);
        assertTrue(handler.where().matches("onData of connection fd=\\d+ peer /127\\.0\\.0\\.1:\\d+, which was reset"),
                handler.where());
    }

    @Test
    void whatTheErrorHandlerThrowsGoesToTheLoopThreadsUncaughtExceptionHandler() throws Exception {
        RuntimeException fromTask = new IllegalStateException("task");
        RuntimeException fromReporter = new IllegalStateException("the error handler's own bug");
        try (LoopThread loop = LoopThread.start()) {
            loop.loop().setErrorHandler((where, error) -> {
                throw fromReporter;
            });
            loop.loop().execute(() -> {
                throw fromTask;
            });
            assertEquals("served", loop.call(() -> "served"));
            List<Throwable> uncaught = loop.takeReported();
            assertEquals(List.of(fromReporter), uncaught);
            assertSame(fromTask, fromReporter.getSuppressed()[0], "with what it was given to report");
        }
    }

    @Test
    void byDefaultFailuresAreLoggedWithSystemLoggerAtError() throws Exception {
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger logger = Logger.getLogger("org.epoll4j");
        logger.addHandler(capture);
        logger.setUseParentHandlers(false); // no stack trace on the console
        RuntimeException fromTask = new IllegalStateException("task");
        try (EventLoop loop = EventLoop.open()) {
            CompletableFuture<Void> ran = new CompletableFuture<>();
            loop.execute(() -> {
                throw fromTask;
            });
            loop.execute(() -> ran.complete(null));
            loop.execute(loop::stop);
            loop.run();
            ran.get(10, TimeUnit.SECONDS);
        } finally {
            logger.removeHandler(capture);
            logger.setUseParentHandlers(true);
        }
        assertEquals(1, records.size(), "records: " + records);
        LogRecord record = records.getFirst();
        assertEquals(Level.SEVERE, record.getLevel()); // System.Logger's ERROR
        assertEquals(Thread.currentThread().getName() + ": a task failed", record.getMessage());
        assertSame(fromTask, record.getThrown());
    }

    @Test
    void aGroupSetsTheHandlerOfEveryLoop() throws Exception {
        List<String> threads = new CopyOnWriteArrayList<>();
        try (EventLoopGroup group = EventLoopGroup.open(2)) {
            group.setErrorHandler((where, error) -> threads.add(Thread.currentThread().getName()));
            for (EventLoop loop : group.loops()) {
                loop.execute(() -> {
                    throw new IllegalStateException("task");
                });
            }
            Eventually.until("two reports", () -> threads.size() == 2);
        }
        assertEquals(List.of("epoll4j-loop-0", "epoll4j-loop-1"), threads.stream().sorted().toList());
    }

    private static Report find(List<Report> reports, Throwable error) {
        return reports.stream().filter(report -> report.error() == error).findFirst()
                .orElseThrow(() -> new AssertionError(error + " not reported: " + reports));
    }

    /**
     * An ErrorHandler that rethrows what it is given (a common "fail loudly" handler): the
     * report added the exception to itself as suppressed, which throws
     * IllegalArgumentException("Self-suppression not permitted"), and run() ended.
     * Found in review.
     */
    @Test
    void errorHandlerThatRethrowsTheErrorDoesNotKillTheLoop() throws Exception {
        LoopThread loop = LoopThread.start();
        try {
            loop.loop().setErrorHandler((where, error) -> {
                if (error instanceof RuntimeException runtime) {
                    throw runtime;
                }
            });
            RuntimeException fromTask = new IllegalStateException("task");
            loop.loop().execute(() -> {
                throw fromTask;
            });
            CompletableFuture<String> next = new CompletableFuture<>();
            loop.loop().execute(() -> next.complete("served"));
            String served;
            try {
                served = next.get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                served = null;
            }
            List<Throwable> reported = loop.takeReported();
            assertTrue(loop.thread().isAlive() && "served".equals(served),
                    "the loop died after its ErrorHandler rethrew; run() ended with " + reported);
            assertEquals(List.of(fromTask), reported, "only what the ErrorHandler threw reaches the thread");
        } finally {
            loop.loop().close();
        }
    }

    /**
     * As ErrorHandler says: it is called after the failure has been dealt with, a
     * connection whose handler threw reset and its onClose run. It was called before.
     * Found in review.
     */
    @Test
    void errorHandlerIsCalledAfterTheConnectionWasReset() throws Exception {
        AtomicBoolean onCloseRan = new AtomicBoolean();
        AtomicReference<Boolean> onCloseHadRunWhenReported = new AtomicReference<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                throw new IllegalStateException("handler");
            }

            @Override
            public void onClose(Connection connection, IOException cause) {
                onCloseRan.set(true);
            }
        };
        try (LoopThread loop = LoopThread.serve(handler); Socket client = EchoClient.connect(loop.address())) {
            loop.loop().setErrorHandler((where, error) -> onCloseHadRunWhenReported.compareAndSet(null,
                    onCloseRan.get()));
            client.getOutputStream().write(1);
            assertTrue(EchoClient.hasEnded(client));
            Eventually.until("a report", () -> onCloseHadRunWhenReported.get() != null);
            assertTrue(onCloseHadRunWhenReported.get(),
                    "the ErrorHandler was called before the connection was reset and its onClose ran");
        }
    }

    /** The same for a watch whose handler threw: closed, and its onClose run, before the report. */
    @Test
    void errorHandlerIsCalledAfterTheWatchWasClosed() throws Exception {
        try (EventFd eventFd = EventFd.open(); LoopThread loop = LoopThread.start()) {
            AtomicBoolean onCloseRan = new AtomicBoolean();
            AtomicReference<Boolean> onCloseHadRunWhenReported = new AtomicReference<>();
            loop.loop().setErrorHandler((where, error) -> onCloseHadRunWhenReported.compareAndSet(null,
                    onCloseRan.get()));
            loop.call(() -> loop.loop().watch(eventFd.fd(), Watch.READ, Watch.Trigger.LEVEL, new WatchHandler() {
                @Override
                public void onReady(Watch watch, int ready) {
                    throw new IllegalStateException("handler");
                }

                @Override
                public void onClose(Watch watch, IOException cause) {
                    onCloseRan.set(true);
                }
            }));
            eventFd.signal();
            Eventually.until("a report", () -> onCloseHadRunWhenReported.get() != null);
            assertTrue(onCloseHadRunWhenReported.get(), "the ErrorHandler was called before the watch's onClose");
        }
    }

    /**
     * Closing before reporting: when onClose then throws an Error the loop cannot go on
     * with (a VirtualMachineError such as OutOfMemoryError), the handler's exception, the
     * root cause, was never reported. Found in review.
     */
    @Test
    void theRootCauseIsReportedEvenIfOnCloseThenFailsHard() throws Exception {
        IllegalStateException root = new IllegalStateException("root cause in onData");
        List<Throwable> seen = new CopyOnWriteArrayList<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                throw root;
            }

            @Override
            public void onClose(Connection connection, IOException cause) {
                throw new OutOfMemoryError("in onClose");
            }
        };
        LoopThread loop = LoopThread.serve(handler);
        try (Socket client = EchoClient.connect(loop.address())) {
            client.getOutputStream().write(1);
            loop.thread().join(TimeUnit.SECONDS.toMillis(20)); // the Error ends run()
            seen.addAll(loop.takeReported());
        } finally {
            loop.loop().close();
        }
        assertFalse(loop.thread().isAlive(), "the OutOfMemoryError from onClose should end run()");
        assertTrue(seen.contains(root),
                "the onData exception that reset the connection was never reported; reported: " + seen);
    }
}
