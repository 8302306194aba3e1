// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.epoll4j.loop.Sources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A connection used from threads other than its loop's: write, close, abort, shutdown, pause, resume. */
@Timeout(60)
class ForeignCallTest {
    /** Messages of a fixed size: "tt:nnnnnnn\n", thread and sequence number. */
    private static final int MESSAGE = 11;

    @Test
    void writesFromEightThreadsArriveInEachThreadsOrderWithNothingLostOrDuplicated() throws Exception {
        int threads = 8;
        int perThread = 5_000;
        try (Opened server = new Opened(); Socket client = EchoClient.connect(server.loop.address())) {
            Connection connection = server.connection();
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                writers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < perThread; i++) {
                        assertTrue(connection.write(message(thread, i)));
                    }
                }));
            }
            byte[] received = client.getInputStream().readNBytes(threads * perThread * MESSAGE);
            for (Thread writer : writers) {
                writer.join();
            }
            Map<Integer, List<Integer>> sequences = parse(received);
            for (int t = 0; t < threads; t++) {
                List<Integer> expected = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                    expected.add(i);
                }
                assertEquals(expected, sequences.get(t), "thread " + t + "'s messages, in its order");
            }
        }
    }

    @Test
    void aWriteCopiesTheBytesBeforeItReturns() throws Exception {
        try (Opened server = new Opened(); Socket client = EchoClient.connect(server.loop.address())) {
            byte[] bytes = "first".getBytes(StandardCharsets.US_ASCII);
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            assertTrue(server.connection().write(buffer));
            assertEquals(bytes.length, buffer.position(), "the buffer was consumed");
            System.arraycopy("XXXXX".getBytes(StandardCharsets.US_ASCII), 0, bytes, 0, 5);
            assertArrayEquals("first".getBytes(StandardCharsets.US_ASCII), client.getInputStream().readNBytes(5));
        }
    }

    @Test
    void aBurstOfWritesWakesTheLoopOnce() throws Exception {
        try (Opened server = new Opened(); Socket client = EchoClient.connect(server.loop.address())) {
            Connection connection = server.connection();
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            server.loop.loop().execute(() -> { // the loop stays busy while the burst comes
                held.countDown();
                awaitQuietly(release);
            });
            assertTrue(held.await(20, TimeUnit.SECONDS));
            long before = server.loop.loop().core().tasks().wakeups();
            for (int i = 0; i < 1000; i++) {
                assertTrue(connection.write(message(1, i)));
            }
            long wakeups = server.loop.loop().core().tasks().wakeups() - before;
            release.countDown();
            assertEquals(1000 * MESSAGE, client.getInputStream().readNBytes(1000 * MESSAGE).length);
            // One, or none if the loop's eventfd was still signalled from the task's own wake-up.
            assertTrue(wakeups <= 1, "wake-ups for a burst of 1,000 writes: " + wakeups);
        }
    }

    @Test
    void writesRacingACloseAreEachEitherSentBeforeTheEndOrRefused() throws Exception {
        // A write that returned true reached the peer before the end of stream; one that
        // returned false did not; never an exception, never a torn message.
        for (boolean closeFromLoop : new boolean[] {true, false}) {
            for (int round = 0; round < 5; round++) {
                try (Opened server = new Opened(); Socket client = EchoClient.connect(server.loop.address())) {
                    Connection connection = server.connection();
                    Set<String> accepted = ConcurrentHashMap.newKeySet();
                    CountDownLatch start = new CountDownLatch(1);
                    List<Thread> writers = new ArrayList<>();
                    for (int t = 0; t < 8; t++) {
                        int thread = t;
                        writers.add(Thread.ofPlatform().start(() -> {
                            awaitQuietly(start);
                            for (int i = 0; i < 100_000; i++) {
                                ByteBuffer message = message(thread, i);
                                if (!connection.write(message)) {
                                    return;
                                }
                                accepted.add(new String(message.array(), StandardCharsets.US_ASCII));
                            }
                        }));
                    }
                    start.countDown();
                    Thread.sleep(round);
                    if (closeFromLoop) {
                        server.loop.call(() -> {
                            connection.close();
                            return null;
                        });
                    } else {
                        connection.close();
                    }
                    byte[] received = readToEnd(client.getInputStream());
                    for (Thread writer : writers) {
                        writer.join();
                    }
                    assertEquals(0, received.length % MESSAGE, "a torn message");
                    Set<String> got = new HashSet<>();
                    for (int at = 0; at < received.length; at += MESSAGE) {
                        got.add(new String(received, at, MESSAGE, StandardCharsets.US_ASCII));
                    }
                    assertEquals(accepted.size(), got.size(), "messages taken and received, closed from loop: "
                            + closeFromLoop);
                    assertEquals(accepted, got);
                }
            }
        }
    }

    @Test
    void closeShutdownAndAbortFromAnotherThreadActAfterTheWritesBeforeThem() throws Exception {
        try (Opened server = new Opened(); Socket client = EchoClient.connect(server.loop.address())) {
            Connection connection = server.connection();
            assertTrue(connection.write(message(0, 1)));
            connection.shutdownOutput();
            assertFalse(connection.write(message(0, 2)), "refused after shutdownOutput");
            assertEquals(MESSAGE, readToEnd(client.getInputStream()).length, "one message, then the end");
            client.getOutputStream().write("still read".getBytes(StandardCharsets.US_ASCII));
            assertEquals("still read", server.received(10));
        }
        try (Opened server = new Opened(); Socket client = EchoClient.connect(server.loop.address())) {
            Connection connection = server.connection();
            assertTrue(connection.write(message(0, 1)));
            connection.abort();
            connection.close(); // after an abort: nothing more
            assertFalse(connection.write(message(0, 2)));
            assertThrows(SocketException.class, () -> readToEnd(client.getInputStream()), "the peer sees a reset");
        }
    }

    @Test
    void pauseAndResumeFromAnotherThreadStopAndRestartReading() throws Exception {
        try (Opened server = new Opened(); Socket client = EchoClient.connect(server.loop.address())) {
            Connection connection = server.connection();
            connection.pauseReading();
            server.loop.call(() -> null); // applied
            client.getOutputStream().write("held".getBytes(StandardCharsets.US_ASCII));
            int fd = server.loop.call(() -> Sources.fd(connection));
            Eventually.until("the bytes wait in the kernel", () -> Poll.readable(fd));
            server.loop.call(() -> null);
            assertEquals(0, server.data.size(), "nothing read while paused");
            connection.resumeReading();
            assertEquals("held", server.received(4));
        }
    }

    @Test
    void aThreadWritingAgainAndAgainAllocatesNothingOnceWarm() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Opened server = new Opened(); Socket client = EchoClient.connect(server.loop.address())) {
            Connection connection = server.connection();
            Thread reader = Thread.ofPlatform().start(() -> {
                try {
                    readToEnd(client.getInputStream());
                } catch (IOException e) {
                    // the test's end
                }
            });
            ByteBuffer message = ByteBuffer.allocate(64);
            writeMany(connection, message, 200_000); // warm: the JIT, the staging arrays
            long before = threads.getCurrentThreadAllocatedBytes();
            int writes = writeMany(connection, message, 100_000);
            long perWrite = (threads.getCurrentThreadAllocatedBytes() - before) / writes;
            assertTrue(perWrite <= 8, "bytes allocated per foreign write: " + perWrite);
            client.shutdownInput();
            reader.join(TimeUnit.SECONDS.toMillis(20));
        }
    }

    private static int writeMany(Connection connection, ByteBuffer message, int count) {
        for (int i = 0; i < count; i++) {
            connection.write(message.clear());
        }
        return count;
    }

    private static ByteBuffer message(int thread, int sequence) {
        return ByteBuffer.wrap(String.format("%02d:%07d\n", thread, sequence).getBytes(StandardCharsets.US_ASCII));
    }

    private static Map<Integer, List<Integer>> parse(byte[] received) {
        Map<Integer, List<Integer>> sequences = new HashMap<>();
        for (int at = 0; at < received.length; at += MESSAGE) {
            String message = new String(received, at, MESSAGE, StandardCharsets.US_ASCII);
            sequences.computeIfAbsent(Integer.parseInt(message.substring(0, 2)), t -> new ArrayList<>())
                    .add(Integer.parseInt(message.substring(3, 10)));
        }
        return sequences;
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) >= 0; ) {
            all.write(buffer, 0, n);
        }
        return all.toByteArray();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A loop on its own thread whose server hands over its one connection; what it reads is kept. */
    private static final class Opened implements AutoCloseable {
        final LoopThread loop;
        final CompletableFuture<Connection> opened = new CompletableFuture<>();
        final List<Byte> data = Collections.synchronizedList(new ArrayList<>());

        Opened() throws Exception {
            loop = LoopThread.serve(new ConnectionHandler() {
                @Override
                public void onOpen(Connection connection) {
                    opened.complete(connection);
                }

                @Override
                public void onData(Connection connection, ByteBuffer bytes) {
                    while (bytes.hasRemaining()) {
                        data.add(bytes.get());
                    }
                }

                @Override
                public void onEndOfInput(Connection connection) {
                    // left open: the tests close it
                }
            });
        }

        Connection connection() throws Exception {
            return opened.get(20, TimeUnit.SECONDS);
        }

        String received(int n) throws InterruptedException {
            Eventually.until(n + " bytes read", () -> data.size() >= n);
            byte[] bytes = new byte[n];
            for (int i = 0; i < n; i++) {
                bytes[i] = data.get(i);
            }
            return new String(bytes, StandardCharsets.US_ASCII);
        }

        @Override
        public void close() throws Exception {
            loop.close();
        }
    }


    /**
     * Guards a bug: a request of the loop thread's own applied a connection's inbox while it
     * was still on the loop's list of inboxes; another thread's next request pushed it
     * again, cutting off the inboxes below it, whose writes then waited forever.
     */
    @Test
    void aRequestOfTheLoopThreadLeavesOtherConnectionsForeignWritesOnTheirWay() throws Exception {
        List<Connection> opened = Collections.synchronizedList(new ArrayList<>());
        try (LoopThread loop = LoopThread.serve(new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                opened.add(connection);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}
        });
             Socket a = EchoClient.connect(loop.address());
             Socket b = EchoClient.connect(loop.address());
             Socket c = EchoClient.connect(loop.address())) {
            Eventually.until("three connections opened", () -> opened.size() == 3);
            Connection ca = loop.call(() -> byPeerPort(opened, a.getLocalPort()));
            Connection cb = loop.call(() -> byPeerPort(opened, b.getLocalPort()));
            Connection cc = loop.call(() -> byPeerPort(opened, c.getLocalPort()));
            loop.call(() -> {
                onAnotherThread(() -> { // the loop's list: B, A, C
                    cc.write(ascii("c1"));
                    ca.write(ascii("a1"));
                    cb.write(ascii("b1"));
                });
                ca.write(ascii("a2")); // applies A's inbox first
                onAnotherThread(() -> ca.write(ascii("a3")));
                return null;
            });
            assertEquals("a1a2a3", readAscii(a, 6));
            assertEquals("b1", readAscii(b, 2));
            onAnotherThread(() -> cc.write(ascii("c2")));
            assertEquals("c1c2", readAscii(c, 4), "C's foreign writes");
        }
    }

    /** The connection whose peer is at {@code port}. Loop thread. */
    private static Connection byPeerPort(List<Connection> connections, int port) {
        return connections.stream()
                .filter(connection -> ((InetSocketAddress) connection.remoteAddress()).getPort() == port)
                .findFirst().orElseThrow();
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static void onAnotherThread(Runnable action) {
        try {
            Thread.ofPlatform().start(action).join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static String readAscii(Socket socket, int n) throws IOException {
        socket.setSoTimeout(20_000);
        return new String(socket.getInputStream().readNBytes(n), StandardCharsets.US_ASCII);
    }
}
