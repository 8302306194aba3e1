// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.Sources;
import org.epoll4j.testing.OpenFds;
import org.epoll4j.testing.Pipe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What closing a loop does to the sources it holds, and on which thread. */
@Timeout(30)
class LoopCloseTest {
    /** TCP cannot connect to a multicast group: connect(2) fails at once, and no packet is sent. */
    private static final InetSocketAddress MULTICAST = new InetSocketAddress("224.0.0.1", 9);

    @Test
    void aConnectThatFailedAtOnceIsClosedWithTheLoopEvenWithOutputQueued() throws Exception {
        // Guards a bug: such a connection was in no registry, so closing the loop before its
        // failure was delivered leaked its fd and its queued chunks, and never ran onClose.
        long fdsBefore = OpenFds.count();
        AtomicInteger closes = new AtomicInteger();
        EventLoop loop = EventLoop.open();
        Connection connection = loop.connect(MULTICAST, new ConnectionHandler() {
            @Override
            public void onData(Connection c, ByteBuffer data) {}

            @Override
            public void onClose(Connection c, IOException cause) {
                closes.incrementAndGet();
            }
        });
        connection.write(ByteBuffer.wrap(new byte[100_000]));
        loop.close(); // before the loop ever ran, so before the failure's task
        assertEquals(1, closes.get(), "onClose runs once");
        assertEquals(fdsBefore, OpenFds.count(), "fds open after close");
    }

    @Test
    void aConnectThatFailsAtOnceReportsENETUNREACH() throws Exception {
        CompletableFuture<IOException> cause = new CompletableFuture<>();
        try (LoopThread loop = LoopThread.start()) {
            loop.call(() -> loop.loop().connect(MULTICAST, new ConnectionHandler() {
                @Override
                public void onData(Connection c, ByteBuffer data) {}

                @Override
                public void onClose(Connection c, IOException failure) {
                    cause.complete(failure);
                }
            }));
            ErrnoException error = assertInstanceOf(ErrnoException.class, cause.get(20, TimeUnit.SECONDS));
            assertEquals("ENETUNREACH", error.errnoName(), error.getMessage());
            assertEquals("connect", error.syscall());
        }
    }

    @Test
    void closingAStoppedLoopFromAnotherThreadRunsOnCloseThereWithTheConnectionUsable() throws Exception {
        // Guards a bug: release() ran handlers on the closing thread while the loop still
        // belonged to the thread that had run it, so onClose could not touch its connection.
        CompletableFuture<Object> attachmentInOnClose = new CompletableFuture<>();
        CompletableFuture<Connection> opened = new CompletableFuture<>();
        EventLoop loop = EventLoop.open();
        InetSocketAddress address = (InetSocketAddress) loop.listen(LoopThread.LOOPBACK, new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.attach("state");
                opened.complete(connection);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}

            @Override
            public void onClose(Connection connection, IOException cause) {
                try {
                    attachmentInOnClose.complete(connection.attachment());
                } catch (RuntimeException e) {
                    attachmentInOnClose.complete(e);
                }
            }
        }).localAddress();
        Thread runner = new Thread(loop::run, "runner");
        runner.start();
        try (Socket client = EchoClient.connect(address)) {
            opened.get(20, TimeUnit.SECONDS);
            loop.stop();
            runner.join();
            loop.close(); // on this thread: the loop is not running any more
            assertEquals("state", attachmentInOnClose.get(20, TimeUnit.SECONDS));
            assertEquals(-1, client.getInputStream().read());
        }
    }

    @Test
    void noSourceCanBeAddedFromOnCloseWhileTheLoopCloses() throws Exception {
        CompletableFuture<Throwable> reconnect = new CompletableFuture<>();
        EventLoop loop = EventLoop.open();
        loop.connect(MULTICAST, new ConnectionHandler() {
            @Override
            public void onData(Connection c, ByteBuffer data) {}

            @Override
            public void onClose(Connection c, IOException cause) {
                try {
                    loop.schedule(Duration.ofSeconds(1), () -> {});
                    reconnect.complete(null);
                } catch (RuntimeException e) {
                    reconnect.complete(e);
                }
            }
        });
        loop.close();
        IllegalStateException refused = assertInstanceOf(IllegalStateException.class, reconnect.get(1, TimeUnit.SECONDS));
        assertEquals("EventLoop is closing", refused.getMessage());
        assertThrows(IllegalStateException.class, () -> loop.schedule(Duration.ZERO, () -> {}));
    }

    @Test
    void theReadBufferIsBigEndianForEveryHandlerWhateverTheLastOneDid() throws Exception {
        CompletableFuture<Object> orders = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                if (calls.incrementAndGet() == 1) {
                    assertSame(java.nio.ByteOrder.BIG_ENDIAN, data.order());
                    data.order(java.nio.ByteOrder.LITTLE_ENDIAN);
                } else {
                    orders.complete(data.order());
                }
            }
        };
        try (LoopThread server = LoopThread.serve(handler); Socket client = EchoClient.connect(server.address())) {
            client.getOutputStream().write(1);
            Eventually.until("the first byte is read", () -> calls.get() == 1);
            client.getOutputStream().write(2);
            assertEquals(java.nio.ByteOrder.BIG_ENDIAN, orders.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void closingAConnectionWithQueuedOutputInATaskTakenBeforeTheLoopClosedDoesNotThrow() throws Exception {
        // Found in review: the close deadline was scheduled through schedule(), which refuses
        // while the loop closes, so Connection.close() threw IllegalStateException there.
        try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            EventLoop loop = EventLoop.open();
            Connection connection = loop.connect(address(listener), QUIET);
            connection.write(ByteBuffer.allocate(10)); // queued: the connect has not completed
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            loop.execute(() -> thrown.set(outcome(connection::close)));
            loop.close(); // not running: released here, and the task taken before runs
            assertNull(thrown.get(), () -> "Connection.close() threw " + thrown.get());
        }
    }

    @Test
    void closingAnotherConnectionWithQueuedOutputFromOnCloseWhileTheLoopClosesDoesNotThrow() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            EventLoop loop = EventLoop.open();
            AtomicReference<Connection> other = new AtomicReference<>();
            List<Throwable> thrown = new CopyOnWriteArrayList<>();
            loop.connect(address(listener), new ConnectionHandler() { // registered first: closed first
                @Override
                public void onData(Connection connection, ByteBuffer data) {}

                @Override
                public void onClose(Connection connection, IOException cause) {
                    Throwable failure = outcome(() -> other.get().close());
                    if (failure != null) {
                        thrown.add(failure);
                    }
                }
            });
            Connection second = loop.connect(address(listener), QUIET);
            second.write(ByteBuffer.allocate(10)); // queued
            other.set(second);
            loop.close();
            assertEquals(List.of(), thrown);
        }
    }

    @Test
    void anOnCloseThatClosesTheLoopWhileItIsNotRunningStillReleasesTheConnectionsFd() throws Exception {
        // Found in review: the loop was released in the middle of the connection's close, and
        // closing its fd then failed on the loop's freed memory: the fd leaked, abort() threw.
        try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            EventLoop loop = EventLoop.open();
            Connection connection = loop.connect(address(listener), new ConnectionHandler() {
                @Override
                public void onData(Connection c, ByteBuffer data) {}

                @Override
                public void onClose(Connection c, IOException cause) {
                    c.loop().close(); // the last connection is gone: end the program
                }
            });
            int fd = Sources.fd(connection);
            Throwable thrown = outcome(connection::abort);
            assertFalse(Files.exists(Path.of("/proc/self/fd/" + fd)), () -> "fd " + fd + " left open; abort threw " + thrown);
            assertNull(thrown, () -> "abort() threw " + thrown);
            assertTrue(loop.closeAsync().toCompletableFuture().isDone(), "released once the close returned");
        }
    }

    @Test
    void aConnectThatFailsAtOnceWhileTheLoopClosesStillReportsItsError() throws Exception {
        // Found in review: the failure's delivery was refused as the loop closed, and the loop
        // then closed the connection with a null cause, an orderly close.
        List<Object> seen = new CopyOnWriteArrayList<>();
        ConnectionHandler client = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {}

            @Override
            public void onClose(Connection connection, IOException cause) {
                seen.add(cause == null ? "onClose(null)" : cause);
            }
        };
        LoopThread loop = LoopThread.start();
        CompletableFuture<Object> connected = new CompletableFuture<>();
        loop.loop().execute(() -> {
            loop.loop().close(); // asks; the loop closes once this iteration ends
            try {
                connected.complete(loop.loop().connect(MULTICAST, client));
            } catch (Throwable e) {
                connected.complete(e);
            }
        });
        assertInstanceOf(Connection.class, connected.get(20, TimeUnit.SECONDS));
        loop.close();
        assertEquals(1, seen.size(), "onClose calls: " + seen);
        ErrnoException error = assertInstanceOf(ErrnoException.class, seen.get(0), "onClose got " + seen);
        assertEquals("ENETUNREACH", error.errnoName());
    }

    private static final ConnectionHandler QUIET = (connection, data) -> {};

    private static InetSocketAddress address(ServerSocket listener) {
        return new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
    }

    private static Throwable outcome(Runnable call) {
        try {
            call.run();
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    /**
     * An owner's call (here Connection.close() on the opening thread before run(), whose
     * onClose runs inside it) held the release back only against a close on the same
     * thread: close() on another thread freed the loop (arena, chunk pool, epoll fd) while
     * the owner was still inside its call, whose close(fd) then failed on the freed arena.
     * Found in review.
     */
    @Test
    void closeFromAnotherThreadDoesNotReleaseTheLoopDuringAnOwnersCall() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            EventLoop loop = EventLoop.open();
            CountDownLatch inOnClose = new CountDownLatch(1);
            CompletableFuture<Void> closedElsewhere = new CompletableFuture<>();
            AtomicBoolean releasedDuringOnClose = new AtomicBoolean();
            ConnectionHandler handler = new ConnectionHandler() {
                @Override
                public void onData(Connection connection, ByteBuffer data) {}

                @Override
                public void onClose(Connection connection, IOException cause) {
                    inOnClose.countDown();
                    try {
                        closedElsewhere.get(3, TimeUnit.SECONDS);
                        releasedDuringOnClose.set(true);
                    } catch (Exception e) {
                        // the close elsewhere waited for this call, as it should
                    }
                }
            };
            Connection connection = loop.connect(peer.getLocalSocketAddress(), handler);
            Thread closer = closeOnceInOnClose(loop, inOnClose, closedElsewhere);
            Throwable thrown = null;
            try {
                connection.close(); // an owner's call: the loop is not running
            } catch (Throwable t) {
                thrown = t;
            }
            closer.join(TimeUnit.SECONDS.toMillis(20));
            assertFalse(releasedDuringOnClose.get(),
                    "loop.close() on another thread released the loop while its owner was inside a call"
                            + " (Connection.close -> onClose); then the owner's call threw " + thrown
                            + ", and this thread still counts as a loop thread: " + Loop.onAnyLoopThread());
            assertNull(thrown, "Connection.close() on the owner's thread threw");
        }
    }

    /**
     * The same for the calls only the loop's thread may make (here Watch.close(), whose
     * onClose runs inside it; also listen, connect, watch, bindUdp, a watch's setInterest,
     * an endpoint's connect, send and close): close() elsewhere released the loop at once,
     * running other sources' onClose on its thread while the owner was still inside onClose.
     * Found in review.
     */
    @Test
    void closeFromAnotherThreadWaitsForWatchCloseOnTheOwnersThread() throws Exception {
        try (Pipe a = Pipe.open(); Pipe b = Pipe.open()) {
            EventLoop loop = EventLoop.open();
            List<Throwable> reported = new CopyOnWriteArrayList<>();
            loop.setErrorHandler((where, e) -> reported.add(e));
            CountDownLatch inOnClose = new CountDownLatch(1);
            CompletableFuture<Void> closedElsewhere = new CompletableFuture<>();
            AtomicBoolean aInOnClose = new AtomicBoolean();
            AtomicBoolean releasedDuringOnClose = new AtomicBoolean();
            AtomicBoolean concurrentHandlers = new AtomicBoolean();
            Watch watchA = loop.watch(a.readFd(), Watch.READ, Watch.Trigger.LEVEL, new WatchHandler() {
                @Override
                public void onReady(Watch watch, int ready) {}

                @Override
                public void onClose(Watch watch, IOException cause) {
                    aInOnClose.set(true);
                    inOnClose.countDown();
                    try {
                        closedElsewhere.get(3, TimeUnit.SECONDS);
                        releasedDuringOnClose.set(true);
                    } catch (Exception e) {
                        // the close elsewhere waited for this call, as it should
                    } finally {
                        aInOnClose.set(false);
                    }
                }
            });
            loop.watch(b.readFd(), Watch.READ, Watch.Trigger.LEVEL, new WatchHandler() {
                @Override
                public void onReady(Watch watch, int ready) {}

                @Override
                public void onClose(Watch watch, IOException cause) {
                    if (aInOnClose.get()) {
                        concurrentHandlers.set(true); // two threads in the loop's handlers at once
                    }
                }
            });
            Thread closer = closeOnceInOnClose(loop, inOnClose, closedElsewhere);
            Throwable thrown = null;
            try {
                watchA.close(); // the owner's thread, the loop not running
            } catch (Throwable t) {
                thrown = t;
            }
            closer.join(TimeUnit.SECONDS.toMillis(20));
            assertNull(thrown, "Watch.close() on the owner's thread threw");
            assertFalse(releasedDuringOnClose.get(),
                    "loop.close() on another thread released the loop while its owner was inside Watch.close -> onClose");
            assertFalse(concurrentHandlers.get(),
                    "another watch's onClose ran on the closing thread while the owner was inside onClose");
            assertEquals(List.of(), reported);
        }
    }

    /** A thread that closes {@code loop} once {@code inOnClose} opens, then completes {@code closed}. */
    private static Thread closeOnceInOnClose(EventLoop loop, CountDownLatch inOnClose, CompletableFuture<Void> closed) {
        return Thread.ofPlatform().start(() -> {
            try {
                inOnClose.await();
            } catch (InterruptedException e) {
                return;
            }
            loop.close();
            closed.complete(null);
        });
    }
}
