// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
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
}
