// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.epoll4j.testing.OpenFds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which thread may do what: stop, close and execute from anywhere; the rest on the loop's thread. */
class EventLoopThreadingTest {
    @Test
    @Timeout(30)
    void stopFromAnotherThreadMakesABlockedRunReturn() throws Exception {
        try (EventLoop loop = EventLoop.open()) {
            Thread runner = Thread.ofPlatform().name("blocked-loop").start(loop::run);
            // No tasks, no timers, no fds ready: the kernel shows the thread asleep in epoll_wait
            // (this test once slept instead and never knew where run() was).
            Eventually.until("run() blocks in epoll_wait", () -> KernelThreads.inEpollWait("blocked-loop"));
            assertTrue(runner.isAlive());

            loop.stop();
            runner.join(TimeUnit.SECONDS.toMillis(20));
            assertFalse(runner.isAlive(), "run() returned");
        }
    }

    @Test
    @Timeout(30)
    void aStopRequestedBeforeRunMakesRunReturnAtOnce() throws Exception {
        try (EventLoop loop = EventLoop.open()) {
            loop.stop();
            loop.run(); // returns, or the timeout fails the test
        }
    }

    @Test
    @Timeout(30)
    void closeFromAnotherThreadWhileRunningEndsRunAndReleasesEveryFd() throws Exception {
        warmUpJavaSockets();
        long fdsBefore = OpenFds.count();
        Echo echo = new Echo();
        LoopThread server = LoopThread.serve(echo);
        try (Socket client = EchoClient.connect(server.address())) {
            EchoClient.assertEchoes(client, "open");

            server.loop().close();
            server.thread().join(TimeUnit.SECONDS.toMillis(20));
            assertFalse(server.thread().isAlive(), "run() returned");
            assertTrue(EchoClient.hasEnded(client), "the loop's connections are closed");
            assertThrows(RejectedExecutionException.class, () -> server.loop().execute(() -> {}));
            assertEquals(1, echo.closes.size(), "onClose ran for the connection");
            assertEquals(null, echo.closes.peek().cause(), "closing the loop is an orderly close");
        }
        server.close();
        assertEquals(fdsBefore, OpenFds.count(), "fds open after the loop and its client closed");
    }

    @Test
    @Timeout(30)
    void executeFromAnotherThreadRunsTasksOnTheLoopThreadInOrder() throws Exception {
        try (LoopThread loop = LoopThread.start()) {
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            List<Integer> order = new ArrayList<>(); // touched by the loop thread only
            CountDownLatch done = new CountDownLatch(1);
            loop.loop().execute(() -> ranOn.set(Thread.currentThread()));
            for (int i = 0; i < 100; i++) {
                int n = i;
                loop.loop().execute(() -> order.add(n));
            }
            loop.loop().execute(done::countDown);
            assertTrue(done.await(20, TimeUnit.SECONDS));
            assertSame(loop.thread(), ranOn.get());
            assertEquals(IntStream.range(0, 100).boxed().toList(), loop.call(() -> List.copyOf(order)));
            assertFalse(loop.loop().inLoop());
            assertTrue(loop.call(loop.loop()::inLoop));
        }
    }

    @Test
    @Timeout(30)
    void loopMethodsFromAnotherThreadThrowWrongThreadException() throws Exception {
        AtomicReference<Connection> accepted = new AtomicReference<>();
        Echo echo = new Echo() {
            @Override
            public void onOpen(Connection connection) {
                accepted.set(connection);
            }
        };
        try (LoopThread server = LoopThread.serve(echo); Socket client = EchoClient.connect(server.address())) {
            EventLoop loop = server.loop();
            assertThrows(WrongThreadException.class, () -> loop.listen(LoopThread.LOOPBACK, echo));
            assertThrows(WrongThreadException.class, () -> loop.listen(LoopThread.LOOPBACK, echo,
                    ListenOption.REUSE_PORT, ListenOption.REUSE_PORT), "the thread is checked before the options");
            assertThrows(WrongThreadException.class, () -> loop.connect(server.address(), echo));
            Eventually.until("the server accepts", () -> accepted.get() != null);
            Connection connection = accepted.get();
            assertThrows(WrongThreadException.class, connection::queuedBytes);
            assertThrows(WrongThreadException.class, connection::isWritable);
            assertThrows(WrongThreadException.class, () -> connection.setWaterMarks(1, 2));
            assertThrows(WrongThreadException.class, () -> connection.attach("state"));
            EchoClient.assertEchoes(client, "unharmed");
        }
    }

    @Test
    @Timeout(30)
    void aTaskThatThrowsIsReportedAndTheLoopGoesOn() throws Exception {
        try (LoopThread loop = LoopThread.start()) {
            RuntimeException thrown = new IllegalStateException("the task's bug");
            loop.loop().execute(() -> {
                throw thrown;
            });
            assertEquals("after", loop.call(() -> "after"));
            List<Throwable> reported = loop.takeReported();
            assertEquals(1, reported.size(), "reported: " + reported);
            assertSame(thrown, assertInstanceOf(IllegalStateException.class, reported.get(0)));
        }
    }

    /** Makes the JDK open whatever it opens lazily for sockets, before fds are counted. */
    private static void warmUpJavaSockets() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(listener.getInetAddress(), listener.getLocalPort());
             Socket peer = listener.accept()) {
            client.getOutputStream().write(1);
            assertEquals(1, peer.getInputStream().read());
        }
    }


    /**
     * Guards a bug: until run() began on another thread, the opener still counted as the
     * loop's thread, so that its "any thread" calls (schedule, Timer.cancel) changed the
     * timer queue unlocked while the new runner already turned, corrupting it.
     */
    @Test
    @Timeout(120)
    void anyThreadCallsOfTheOpenerWhileRunBeginsOnAnotherThreadAreSafe() throws Exception {
        List<String> problems = new ArrayList<>();
        for (int round = 0; round < 100 && problems.isEmpty(); round++) {
            EventLoop loop = EventLoop.open();
            AtomicInteger ran = new AtomicInteger();
            Thread runner = Thread.ofPlatform().start(loop::run);
            int scheduled = 0;
            for (int i = 0; i < 300; i++) {
                try {
                    Timer timer = loop.schedule(Duration.ZERO, ran::incrementAndGet);
                    scheduled++;
                    if (i % 3 == 0 && timer.cancel()) {
                        scheduled--;
                    }
                } catch (RuntimeException e) {
                    problems.add("round " + round + ", call " + i + ": " + e);
                }
            }
            int expected = scheduled;
            Eventually.until(expected + " timers run", () -> ran.get() >= expected);
            if (ran.get() != expected) {
                problems.add("round " + round + ": " + ran.get() + " of " + expected + " timers ran");
            }
            loop.close();
            runner.join();
        }
        assertEquals(List.of(), problems);
    }
}
