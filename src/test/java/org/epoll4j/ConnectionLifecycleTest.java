// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.epoll4j.epoll.ErrnoException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How connections end: half-closed by the client, reset by it, or failed by their handler. */
class ConnectionLifecycleTest {
    @Test
    @Timeout(60)
    void halfClosedClientStillReceivesEveryByte() throws Exception {
        Random random = new Random(3);
        byte[] payload = new byte[1024 * 1024];
        random.nextBytes(payload);
        Echo echo = new Echo();
        try (LoopThread server = LoopThread.serve(echo); Socket client = EchoClient.connect(server.address())) {
            AtomicReference<IOException> writeFailure = new AtomicReference<>();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    EchoClient.writeInChunks(client.getOutputStream(), payload, new Random(4));
                    client.shutdownOutput();
                } catch (IOException e) {
                    writeFailure.set(e);
                }
            });
            assertArrayEquals(payload, EchoClient.readFully(client.getInputStream(), payload.length, random));
            EchoClient.assertEndOfStream(client);
            writer.join();
            assertNull(writeFailure.get());
            assertNull(awaitClose(echo).cause(), "an orderly close");
        }
    }

    @Test
    @Timeout(30)
    void dataThatArrivesWithTheFinIsEchoedBeforeTheClose() throws Exception {
        Echo echo = new Echo();
        try (LoopThread server = LoopThread.serve(echo); Socket client = EchoClient.connect(server.address())) {
            client.getOutputStream().write("last words".getBytes());
            client.shutdownOutput();
            assertEquals("last words", new String(EchoClient.readFully(client.getInputStream(), 10, new Random(0))));
            EchoClient.assertEndOfStream(client);
            assertNull(awaitClose(echo).cause());
        }
    }

    /**
     * A handler may keep a connection open after its peer's end, to write more: the loop
     * then stops reading it, and so is not woken again and again by the ended input.
     */
    @Test
    @Timeout(30)
    void aConnectionKeptOpenAfterItsPeersEndNeitherWakesTheLoopNorStopsWriting() throws Exception {
        AtomicReference<Connection> ended = new AtomicReference<>();
        CountDownLatch endOfInput = new CountDownLatch(1);
        ConnectionHandler keepOpen = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                connection.write(data);
            }

            @Override
            public void onEndOfInput(Connection connection) {
                ended.set(connection);
                endOfInput.countDown();
            }
        };
        try (LoopThread server = LoopThread.serve(keepOpen); Socket client = EchoClient.connect(server.address())) {
            EchoClient.assertEchoes(client, "before the end");
            client.shutdownOutput();
            assertTrue(endOfInput.await(10, TimeUnit.SECONDS), "onEndOfInput");
            long turns = server.loop().metrics().turns();
            Thread.sleep(200);
            long woken = server.loop().metrics().turns() - turns;
            assertTrue(woken < 5, "turns while nothing happened: " + woken);
            ended.get().write(ByteBuffer.wrap("after the end".getBytes()));
            ended.get().close();
            assertEquals("after the end", new String(client.getInputStream().readAllBytes()));
        }
    }

    /**
     * A VirtualMachineError from onEndOfInput ends run(), as from any handler; an application
     * may run the loop again. The ended input is not read again: onEndOfInput came once.
     */
    @Test
    @Timeout(30)
    void endOfInputComesOnceEvenIfItsHandlerEndedRunWithAVirtualMachineError() throws Exception {
        StackOverflowError thrown = new StackOverflowError("the handler's");
        AtomicInteger ends = new AtomicInteger();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
            }

            @Override
            public void onEndOfInput(Connection connection) {
                if (ends.incrementAndGet() == 1) {
                    throw thrown;
                }
                connection.close();
            }
        };
        try (EventLoop loop = EventLoop.open()) {
            loop.setErrorHandler((where, e) -> { });
            InetSocketAddress address = (InetSocketAddress) loop.listen(LoopThread.LOOPBACK, handler).localAddress();
            CompletableFuture<Throwable> firstRun = new CompletableFuture<>();
            Thread runner = Thread.ofPlatform().start(() -> {
                try {
                    loop.run();
                } catch (StackOverflowError e) {
                    firstRun.complete(e);
                    loop.run(); // again, as a supervisor may, until the loop closes
                }
            });
            try (Socket client = EchoClient.connect(address)) {
                client.shutdownOutput();
                assertSame(thrown, firstRun.get(20, TimeUnit.SECONDS));
                CompletableFuture<Integer> afterAWait = new CompletableFuture<>();
                loop.execute(() -> afterAWait.complete(ends.get())); // runs after the turn's events
                assertEquals(1, afterAWait.get(20, TimeUnit.SECONDS), "onEndOfInput calls");
            } finally {
                loop.close();
                runner.join(TimeUnit.SECONDS.toMillis(20));
            }
        }
    }

    @Test
    @Timeout(30)
    void aClientResetMidStreamClosesItsConnectionAndTheLoopServesOthers() throws Exception {
        Echo echo = new Echo();
        try (LoopThread server = LoopThread.serve(echo)) {
            try (Socket resetting = EchoClient.connect(server.address())) {
                byte[] payload = new byte[64 * 1024];
                new Random(5).nextBytes(payload);
                resetting.getOutputStream().write(payload);
                EchoClient.readFully(resetting.getInputStream(), 1024, new Random(0)); // the echo is flowing
                resetting.setSoLinger(true, 0);
            } // close with SO_LINGER 0: RST, with echoed bytes still unread

            // The reset surfaces on the server's next read (ECONNRESET) or write (EPIPE); it is
            // never an orderly close (this test once passed on a null cause).
            IOException cause = awaitClose(echo).cause();
            ErrnoException error = assertInstanceOf(ErrnoException.class, cause);
            assertTrue(List.of("ECONNRESET", "EPIPE").contains(error.errnoName()), error.getMessage());
            try (Socket other = EchoClient.connect(server.address())) {
                EchoClient.assertEchoes(other, "still serving");
            }
            assertEquals(2, echo.opened.get());
        }
    }

    @Test
    @Timeout(30)
    void aHandlerThatThrowsClosesOnlyItsOwnConnection() throws Exception {
        RuntimeException thrown = new IllegalStateException("the handler's bug");
        Echo faulty = new Echo() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                if (data.get(data.position()) == 'X') {
                    throw thrown;
                }
                super.onData(connection, data);
            }
        };
        try (LoopThread server = LoopThread.serve(faulty);
             Socket bystander = EchoClient.connect(server.address());
             Socket victim = EchoClient.connect(server.address())) {
            EchoClient.assertEchoes(bystander, "before");
            victim.getOutputStream().write("X marks the spot".getBytes());

            assertTrue(EchoClient.hasEnded(victim), "the client sees its connection end");
            IOException cause = awaitClose(faulty).cause();
            assertInstanceOf(IOException.class, cause);
            assertSame(thrown, cause.getCause());
            EchoClient.assertEchoes(bystander, "after");
            try (Socket newcomer = EchoClient.connect(server.address())) {
                EchoClient.assertEchoes(newcomer, "newcomer");
            }
            bystander.close();
            Eventually.until("the bystander's close", () -> faulty.closes.size() >= 2);
            server.call(() -> null); // a full loop iteration: any second onClose has run
            // Counted whatever their cause (this test once counted only non-null ones).
            assertEquals(2, faulty.closes.size(), "one onClose per connection: " + faulty.closes);
            assertEquals(List.of(thrown), server.takeReported(), "the exception goes to the ErrorHandler too");
        }
    }

    private static Echo.Closed awaitClose(Echo echo) throws InterruptedException {
        Echo.Closed closed = echo.closes.poll(20, TimeUnit.SECONDS);
        if (closed == null) {
            throw new AssertionError("onClose did not run");
        }
        return closed;
    }

    @Test
    @Timeout(30)
    void aResetWhileReadingIsPausedClosesWithTheSocketsError() throws Exception {
        // Not reading, the fd is registered for nothing: the reset comes as EPOLLERR, and the
        // cause is read from SO_ERROR.
        Echo paused = new Echo() {
            @Override
            public void onOpen(Connection connection) {
                connection.pauseReading();
            }
        };
        try (LoopThread server = LoopThread.serve(paused)) {
            try (Socket client = EchoClient.connect(server.address())) {
                client.setSoLinger(true, 0);
            }
            ErrnoException error = assertInstanceOf(ErrnoException.class, awaitClose(paused).cause());
            assertEquals("ECONNRESET", error.errnoName(), error.getMessage());
            assertEquals("getsockopt", error.syscall());
        }
    }

    @Test
    @Timeout(30)
    void anExceptionFromOnCloseIsReportedAndTheLoopGoesOn() throws Exception {
        RuntimeException thrown = new IllegalStateException("onClose's bug");
        AtomicInteger onCloseCalls = new AtomicInteger();
        Echo faulty = new Echo() {
            @Override
            public void onClose(Connection connection, IOException cause) {
                super.onClose(connection, cause);
                if (onCloseCalls.incrementAndGet() == 1) {
                    throw thrown;
                }
            }
        };
        try (LoopThread server = LoopThread.serve(faulty)) {
            try (Socket client = EchoClient.connect(server.address())) {
                EchoClient.assertEchoes(client, "first");
            }
            awaitClose(faulty);
            server.call(() -> null);
            assertEquals(List.of(thrown), server.takeReported());
            try (Socket client = EchoClient.connect(server.address())) {
                EchoClient.assertEchoes(client, "still serving");
            }
        }
    }

    @Test
    @Timeout(30)
    void aVirtualMachineErrorFromOnCloseEndsRunAsOneFromOnDataDoes() throws Exception {
        // Guards a bug: onClose's errors were all reported and the loop went on, even an
        // OutOfMemoryError, which from any other handler ends run().
        for (boolean fromOnClose : new boolean[] {false, true}) {
            Error thrown = new OutOfMemoryError("the handler's");
            Echo faulty = new Echo() {
                @Override
                public void onData(Connection connection, ByteBuffer data) {
                    if (fromOnClose) {
                        connection.close();
                    } else {
                        throw thrown;
                    }
                }

                @Override
                public void onClose(Connection connection, IOException cause) {
                    if (fromOnClose) {
                        throw thrown;
                    }
                }
            };
            LoopThread server = LoopThread.serve(faulty);
            try (Socket client = EchoClient.connect(server.address())) {
                client.getOutputStream().write(1);
                client.shutdownOutput(); // a close lingers until the peer's end of stream
                server.thread().join(TimeUnit.SECONDS.toMillis(20));
                assertFalse(server.thread().isAlive(), "run() ended, from onClose: " + fromOnClose);
                assertEquals(List.of(thrown), server.takeReported());
            } finally {
                server.close();
            }
        }
    }
}
