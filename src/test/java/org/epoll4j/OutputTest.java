// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What write() takes, and how far a peer that does not read can make a connection queue or wait. */
@Timeout(60)
class OutputTest {
    /** More than loopback's socket buffers take: the rest stays queued while the peer does not read. */
    private static final int MORE_THAN_THE_KERNEL_TAKES = 16 * 1024 * 1024;

    @Test
    void aWriteAfterCloseTakesNothingAndThrowsNothingWhetherOutputIsStillQueuedOrNot() throws Exception {
        // Guards a bug: such a write threw IllegalStateException while queued output was still
        // going out (a peer that reads slowly), and was silently ignored once it had gone.
        for (int flood : new int[] {10, MORE_THAN_THE_KERNEL_TAKES}) {
            CompletableFuture<Object> outcome = new CompletableFuture<>();
            try (LoopThread server = LoopThread.serve(onOpen(connection -> {
                connection.write(ByteBuffer.allocate(flood));
                connection.close();
                ByteBuffer late = ByteBuffer.allocate(100);
                try {
                    connection.write(late);
                    outcome.complete(late.position());
                } catch (RuntimeException e) {
                    outcome.complete(e);
                }
            })); Socket client = EchoClient.connect(server.address())) {
                assertEquals(0, outcome.get(20, TimeUnit.SECONDS), "position after a late write of " + flood);
            }
        }
    }

    @Test
    void writeReturnsTrueWhileOutputIsOpenAndFalseOnceItIsClosedForAnyReason() throws Exception {
        CompletableFuture<List<Boolean>> results = new CompletableFuture<>();
        try (LoopThread server = LoopThread.serve(onOpen(connection -> {
            boolean open = connection.write(bytes(10));
            connection.shutdownOutput();
            boolean afterShutdown = connection.write(bytes(10));
            connection.close();
            boolean afterClose = connection.write(bytes(10));
            results.complete(List.of(open, afterShutdown, afterClose));
        })); Socket client = EchoClient.connect(server.address())) {
            assertEquals(List.of(true, false, false), results.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void aCloseThatCannotFlushResetsTheConnectionAfterTheCloseTimeout() throws Exception {
        CompletableFuture<IOException> cause = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.setCloseTimeout(Duration.ofMillis(300));
                connection.write(ByteBuffer.allocate(MORE_THAN_THE_KERNEL_TAKES));
                connection.close();
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}

            @Override
            public void onClose(Connection connection, IOException failure) {
                cause.complete(failure);
            }
        };
        try (LoopThread server = LoopThread.serve(handler); Socket client = silentClient(server.address())) {
            IOException failure = cause.get(20, TimeUnit.SECONDS);
            assertInstanceOf(SocketTimeoutException.class, failure);
            assertTrue(failure.getMessage().startsWith("close timed out after PT0.3S with "), failure.getMessage());
            assertThrows(SocketException.class, () -> drain(client.getInputStream()), "the client sees a reset");
        }
    }

    @Test
    @Timeout(120)
    void writingABufferOfTheHandlersOwnAllocatesNothingOnceWarm() throws Exception {
        // Guards a bug: a write of any buffer but data made a MemorySegment of it, 32 to 72
        // bytes a write; only an echo of data itself allocated nothing.
        for (ByteBuffer own : List.of(ByteBuffer.allocateDirect(64), ByteBuffer.allocate(64),
                ByteBuffer.allocate(64).asReadOnlyBuffer())) {
            try (LoopThread server = LoopThread.serve((connection, data) -> connection.write(own.clear()));
                 Socket client = EchoClient.connect(server.address())) {
                byte[] message = new byte[64];
                EchoClient.roundTrips(client, message, 60_000); // warm: the JIT compiles the path
                long before = server.allocatedBytes();
                int trips = EchoClient.roundTrips(client, message, 20_000);
                long perTrip = (server.allocatedBytes() - before) / trips;
                assertTrue(perTrip < 8, "bytes allocated per write of a " + own + ": " + perTrip);
            }
        }
    }

    @Test
    void writesOfEveryKindOfBufferArriveWholeAndInOrderWrittenOrQueued() throws Exception {
        // Heap, sliced, read-only and direct buffers, from positions other than 0: the first
        // go through the loop's staging copy, the later ones are queued once the kernel is full.
        int writes = 400;
        int size = 16 * 1024;
        int[] from = {3, 5, 7, 2};
        byte[] pattern = new byte[size + 7];
        new Random(5).nextBytes(pattern);
        ByteBuffer direct = ByteBuffer.allocateDirect(pattern.length).put(pattern).flip();
        CompletableFuture<Boolean> allTaken = new CompletableFuture<>();
        try (LoopThread server = LoopThread.serve(onOpen(connection -> {
            connection.setOutputLimit(Long.MAX_VALUE);
            boolean taken = true;
            for (int i = 0; i < writes; i++) {
                ByteBuffer src = switch (i % 4) {
                    case 0 -> ByteBuffer.wrap(pattern, from[0], size);
                    case 1 -> ByteBuffer.wrap(pattern).slice(from[1], size).asReadOnlyBuffer();
                    case 2 -> direct.duplicate().position(from[2]).limit(from[2] + size);
                    default -> direct.slice(from[3], size).asReadOnlyBuffer();
                };
                int limit = src.limit();
                taken &= connection.write(ByteBuffer.wrap(new byte[] {(byte) i})) && connection.write(src)
                        && src.position() == limit;
            }
            allTaken.complete(taken);
        })); Socket client = silentClient(server.address())) {
            InputStream in = client.getInputStream();
            for (int i = 0; i < writes; i++) {
                byte[] got = in.readNBytes(1 + size);
                assertEquals(1 + size, got.length, "write " + i);
                assertEquals((byte) i, got[0], "the marker before write " + i);
                assertArrayEquals(Arrays.copyOfRange(pattern, from[i % 4], from[i % 4] + size),
                        Arrays.copyOfRange(got, 1, got.length), "write " + i);
            }
            assertTrue(allTaken.get(20, TimeUnit.SECONDS), "every write took all of its buffer");
        }
    }

    @Test
    void aLingeringCloseWhosePeerKeepsSendingResetsTheConnectionAfterTheCloseTimeout() throws Exception {
        CompletableFuture<IOException> cause = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                // Paused, input piles up; the close then finds it unread with nothing queued, so
                // FIN goes, and input is dropped until the peer's end, which never comes.
                connection.pauseReading();
                connection.setCloseTimeout(Duration.ofMillis(300));
                connection.loop().schedule(Duration.ofMillis(100), connection::close);
            }

            @Override
            public void onClose(Connection connection, IOException failure) {
                cause.complete(failure);
            }
        };
        CompletableFuture<Exception> sendFailure = new CompletableFuture<>();
        try (LoopThread server = LoopThread.serve(handler); Socket client = EchoClient.connect(server.address())) {
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    while (true) {
                        client.getOutputStream().write(new byte[256 * 1024]);
                        Thread.sleep(1);
                    }
                } catch (IOException | InterruptedException e) {
                    sendFailure.complete(e);
                }
            });
            try {
                IOException failure = cause.get(20, TimeUnit.SECONDS);
                assertInstanceOf(SocketTimeoutException.class, failure);
                assertEquals("close timed out after PT0.3S before the peer ended its output; the connection was reset",
                        failure.getMessage());
                // The FIN came first, so reads end; the reset shows on the client's writes.
                assertInstanceOf(SocketException.class, sendFailure.get(20, TimeUnit.SECONDS), "the client sees a reset");
            } finally {
                sender.interrupt();
                sender.join();
            }
        }
    }

    @Test
    void aWriteBeyondTheOutputLimitResetsTheConnectionAndTakesNothing() throws Exception {
        CompletableFuture<IOException> cause = new CompletableFuture<>();
        CompletableFuture<int[]> refusedWrite = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.setOutputLimit(1024 * 1024);
                for (int writes = 1; writes <= 10_000; writes++) {
                    ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
                    if (!connection.write(chunk)) {
                        refusedWrite.complete(new int[] {writes, chunk.position()});
                        return;
                    }
                }
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}

            @Override
            public void onClose(Connection connection, IOException failure) {
                cause.complete(failure);
            }
        };
        try (LoopThread server = LoopThread.serve(handler); Socket client = silentClient(server.address())) {
            int[] refused = refusedWrite.get(20, TimeUnit.SECONDS);
            assertEquals(0, refused[1], "the refused write took nothing");
            IOException failure = cause.get(20, TimeUnit.SECONDS);
            assertTrue(failure.getMessage().startsWith("output limit exceeded: "), failure.getMessage());
            assertTrue(failure.getMessage().contains("the limit is 1048576"), failure.getMessage());
            assertThrows(SocketException.class, () -> drain(client.getInputStream()), "the client sees a reset");
        }
    }

    @Test
    void withoutALimitSetAPeerThatDoesNotReadCannotMakeAConnectionQueueMoreThan64MiB() throws Exception {
        CompletableFuture<Long> queuedWhenRefused = new CompletableFuture<>();
        try (LoopThread server = LoopThread.serve(onOpen(connection -> {
            for (int writes = 0; writes < 1000; writes++) {
                long queued = connection.queuedBytes();
                if (!connection.write(ByteBuffer.allocate(1024 * 1024))) {
                    queuedWhenRefused.complete(queued);
                    return;
                }
            }
        })); Socket client = silentClient(server.address())) {
            long queued = queuedWhenRefused.get(20, TimeUnit.SECONDS);
            assertTrue(queued <= 64L * 1024 * 1024 && queued > 60L * 1024 * 1024, "queued: " + queued);
        }
    }

    @Test
    void isWritableFollowsTheWaterMarksAndOnWritableRunsOnceBelowTheLowOne() throws Exception {
        int low = 100_000;
        int high = 400_000;
        CompletableFuture<Boolean> writableAfterFlood = new CompletableFuture<>();
        List<Long> queuedAtOnWritable = new CopyOnWriteArrayList<>();
        AtomicInteger onWritable = new AtomicInteger();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.setWaterMarks(low, high);
                boolean writable = connection.write(ByteBuffer.allocate(high)) && connection.isWritable();
                connection.write(ByteBuffer.allocate(MORE_THAN_THE_KERNEL_TAKES));
                writableAfterFlood.complete(writable && !connection.isWritable());
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}

            @Override
            public void onWritable(Connection connection) {
                onWritable.incrementAndGet();
                queuedAtOnWritable.add(connection.isWritable() ? connection.queuedBytes() : -1);
            }
        };
        try (LoopThread server = LoopThread.serve(handler); Socket client = silentClient(server.address())) {
            assertTrue(writableAfterFlood.get(20, TimeUnit.SECONDS), "writable at the high mark, not above it");
            InputStream in = client.getInputStream();
            long total = (long) high + MORE_THAN_THE_KERNEL_TAKES;
            assertEquals(total, in.readNBytes((int) total).length);
            server.call(() -> null);
            assertEquals(1, onWritable.get(), "onWritable calls");
            assertTrue(queuedAtOnWritable.get(0) >= 0 && queuedAtOnWritable.get(0) <= low,
                    "queued at onWritable: " + queuedAtOnWritable);
        }
    }

    @Test
    void abortResetsTheConnection() throws Exception {
        ConnectionHandler abortOnData = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                connection.abort();
            }
        };
        try (LoopThread server = LoopThread.serve(abortOnData); Socket client = EchoClient.connect(server.address())) {
            client.getOutputStream().write(1);
            SocketException reset = assertThrows(SocketException.class, () -> client.getInputStream().read());
            assertEquals("Connection reset", reset.getMessage());
        }
    }

    @Test
    void theWaterMarksAndTheLimitsRefuseNonsense() throws Exception {
        CompletableFuture<List<Class<?>>> thrown = new CompletableFuture<>();
        try (LoopThread server = LoopThread.serve(onOpen(connection -> thrown.complete(List.of(
                thrownBy(() -> connection.setWaterMarks(-1, 10)),
                thrownBy(() -> connection.setWaterMarks(10, 9)),
                thrownBy(() -> connection.setOutputLimit(0)),
                thrownBy(() -> connection.setCloseTimeout(Duration.ZERO)),
                thrownBy(() -> connection.setCloseTimeout(null)))))); Socket client = EchoClient.connect(server.address())) {
            assertEquals(List.of(IllegalArgumentException.class, IllegalArgumentException.class,
                    IllegalArgumentException.class, IllegalArgumentException.class, NullPointerException.class),
                    thrown.get(20, TimeUnit.SECONDS));
        }
    }

    /** A client with a small receive buffer that reads nothing until the test says so. */
    private static Socket silentClient(InetSocketAddress address) throws IOException {
        Socket client = new Socket();
        client.setReceiveBufferSize(4096);
        client.connect(address);
        client.setSoTimeout(EchoClient.READ_TIMEOUT_MILLIS);
        return client;
    }

    private static void drain(InputStream in) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        while (in.read(buffer) >= 0) {
            // until the reset, or the end of stream
        }
    }

    private static ByteBuffer bytes(int n) {
        return ByteBuffer.allocate(n);
    }

    private static Class<?> thrownBy(Runnable call) {
        try {
            call.run();
            return null;
        } catch (RuntimeException e) {
            return e.getClass();
        }
    }

    /** A handler that does {@code action} in onOpen and ignores input. */
    private static ConnectionHandler onOpen(Consumer<Connection> action) {
        return new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                action.accept(connection);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}
        };
    }
}
