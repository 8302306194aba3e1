// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.Sources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How this side ends a connection: flushing without a reset, parking a hung-up paused socket. */
@Timeout(60)
class ClosingTest {
    private static final int REPLY = 4 * 1024 * 1024;

    @Test
    void aGracefulCloseDeliversTheWholeReplyWhileThePeerStillSends() throws Exception {
        // Guards a bug: close() stopped reading, so what the peer sent meanwhile stayed
        // unread, and close(2) with unread input sent RST, losing the end of the reply.
        ConnectionHandler replyThenClose = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                if (connection.isOpen()) {
                    connection.write(ByteBuffer.wrap(pattern(REPLY)));
                    connection.close();
                }
            }
        };
        try (LoopThread server = LoopThread.serve(replyThenClose); Socket client = EchoClient.connect(server.address())) {
            OutputStream out = client.getOutputStream();
            out.write(1);
            out.write(new byte[256 * 1024]); // more requests, which nobody will answer
            InputStream in = client.getInputStream();
            assertArrayEquals(pattern(REPLY), in.readNBytes(REPLY));
            assertEquals(-1, in.read(), "end of stream after the reply");
        }
    }

    @Test
    void aGracefulCloseLingersUntilThePeersEndOfStreamWhateverThePeerSendsMeanwhile() throws Exception {
        // Guards a bug (#18): the linger was decided by whether input was pending at the
        // instant the queue emptied, and close(2) came as soon as the kernel had taken the
        // bytes. A heartbeat arriving after that met a closed socket, which answered with a
        // reset: the peer lost the end of the output, and onClose said the close was orderly.
        int size = 16 * 1024 * 1024;
        CompletableFuture<Echo.Closed> closed = new CompletableFuture<>();
        ConnectionHandler writeAndClose = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.write(ByteBuffer.wrap(pattern(size)));
                connection.close();
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                throw new AssertionError("no data after close()");
            }

            @Override
            public void onClose(Connection connection, IOException cause) {
                closed.complete(new Echo.Closed(cause));
            }
        };
        try (LoopThread server = LoopThread.serve(writeAndClose); Socket client = EchoClient.connect(server.address())) {
            Thread heartbeat = Thread.ofPlatform().start(() -> {
                try {
                    OutputStream out = client.getOutputStream();
                    while (!Thread.currentThread().isInterrupted()) {
                        out.write("beat\n".getBytes(StandardCharsets.US_ASCII));
                        Thread.sleep(10);
                    }
                } catch (IOException | InterruptedException e) {
                    // done: the test ends it, or the connection is gone
                }
            });
            byte[] received = new byte[size];
            InputStream in = client.getInputStream();
            int total = 0;
            for (int n; total < size && (n = in.read(received, total, Math.min(64 * 1024, size - total))) > 0; ) {
                total += n;
                Thread.sleep(1); // a modest pace: the server's queue empties long before the peer has it all
            }
            assertEquals(size, total, "the whole output arrived");
            assertArrayEquals(pattern(size), received);
            assertEquals(-1, in.read(), "the end of stream after the whole output, not a reset");
            assertFalse(closed.isDone(), "the server lingers while the peer has not ended its output: " + closed);
            heartbeat.interrupt();
            heartbeat.join();
            client.shutdownOutput();
            assertNull(closed.get(20, TimeUnit.SECONDS).cause(), "an orderly close once the peer ended too");
        }
    }

    @Test
    void aPeerResetFoundByTheCloseIsTheCauseOnCloseGets() throws Exception {
        // Found in review (#18): the read that drops unread input before close(2) swallowed
        // its ECONNRESET, and onClose said the close was orderly.
        CompletableFuture<Echo.Closed> closed = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                connection.close();
            }

            @Override
            public void onClose(Connection connection, IOException cause) {
                closed.complete(new Echo.Closed(cause));
            }
        };
        try (LoopThread server = LoopThread.serve(handler); Socket client = EchoClient.connect(server.address())) {
            server.call(() -> null);
            CountDownLatch busy = new CountDownLatch(1);
            server.loop().execute(() -> {
                busy.countDown();
                sleepQuietly(300); // the byte and the reset behind it both arrive meanwhile
            });
            busy.await();
            client.getOutputStream().write('x');
            client.setSoLinger(true, 0);
            client.close(); // RST right behind the byte
            IOException cause = closed.get(20, TimeUnit.SECONDS).cause();
            assertInstanceOf(ErrnoException.class, cause);
            assertEquals("ECONNRESET", ((ErrnoException) cause).errnoName());
        }
    }

    @Test
    void aConnectionStillClosingWhenItsLoopClosesIsResetAndOnCloseSaysSo() throws Exception {
        // Found in review (#18): the loop's close released a lingering connection as an
        // orderly one; its peer, still sending, got a reset and lost the end of the output.
        int size = 8 * 1024 * 1024;
        CompletableFuture<Echo.Closed> closed = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.write(ByteBuffer.wrap(new byte[size]));
                connection.close();
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}

            @Override
            public void onClose(Connection connection, IOException cause) {
                closed.complete(new Echo.Closed(cause));
            }
        };
        LoopThread server = LoopThread.serve(handler);
        try (Socket client = EchoClient.connect(server.address())) {
            InputStream in = client.getInputStream();
            assertEquals(1024 * 1024, in.readNBytes(1024 * 1024).length, "some of the output arrives");
            server.loop().close();
            IOException cause = closed.get(20, TimeUnit.SECONDS).cause();
            assertNotNull(cause, "onClose is told the close did not complete");
            assertTrue(cause.getMessage().startsWith("the loop closed before the close completed"), cause.getMessage());
        } finally {
            server.close();
        }
    }

    @Test
    void aSocketThatHangsUpWhileReadingIsPausedKeepsItsDataUntilReadingResumes() throws Exception {
        // Guards a bug: EPOLLHUP while paused closed the connection and dropped unread input.
        Collect client = new Collect();
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             LoopThread loop = LoopThread.start()) {
            Connection connection = loop.call(() -> loop.loop().connect(
                    new java.net.InetSocketAddress(listener.getInetAddress(), listener.getLocalPort()), client));
            try (Socket peer = listener.accept()) {
                assertEquals(42, peer.getInputStream().read(), "the client's request");
                assertEquals(-1, peer.getInputStream().read(), "the client shut its output");
                peer.getOutputStream().write(pattern(100_000));
            } // the peer closes too: both directions are shut, and epoll reports HUP
            int fd = loop.call(() -> Sources.fd(connection));
            Eventually.until("the kernel reports the hang-up", () -> Poll.hungUp(fd));
            loop.call(() -> null);
            loop.call(() -> null); // the loop has had the HUP in two waits since
            assertEquals(0, client.received.size(), "nothing read while paused");
            assertTrue(client.closes.isEmpty(), "not closed while paused: " + client.closes);
            loop.call(() -> {
                connection.resumeReading();
                return null;
            });
            Eventually.until("all 100,000 bytes arrive", () -> client.received.size() == 100_000);
            assertArrayEquals(pattern(100_000), client.received.toByteArray());
            Echo.Closed closed = client.closes.poll(20, TimeUnit.SECONDS);
            assertNotNull(closed, "closed after the end of input");
            assertNull(closed.cause());
        }
    }

    @Test
    void aClosingOrClosedConnectionTakesWritesPausesAndShutdownsQuietly() throws Exception {
        CompletableFuture<Throwable> whileClosing = new CompletableFuture<>();
        CompletableFuture<Throwable> onceClosed = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.close(); // it lingers until the client's end of stream
                whileClosing.complete(catching(() -> {
                    quietly(connection);
                    connection.close();
                }));
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}

            @Override
            public void onClose(Connection connection, IOException cause) {
                onceClosed.complete(catching(() -> {
                    quietly(connection);
                    connection.close();
                    connection.abort();
                }));
            }

            private void quietly(Connection connection) {
                ByteBuffer bytes = ByteBuffer.wrap(new byte[] {1, 2, 3});
                assertFalse(connection.write(bytes));
                assertEquals(0, bytes.position(), "a closing connection takes nothing");
                assertFalse(connection.isWritable());
                connection.pauseReading();
                connection.resumeReading();
                connection.shutdownOutput();
            }
        };
        try (LoopThread server = LoopThread.serve(handler); Socket client = EchoClient.connect(server.address())) {
            assertNull(whileClosing.get(20, TimeUnit.SECONDS));
            assertEquals(-1, client.getInputStream().read());
            client.shutdownOutput();
            assertNull(onceClosed.get(20, TimeUnit.SECONDS));
        }
    }

    /** Writes a request and shuts its output when opened, pausing reading; keeps what arrives. */
    private static final class Collect extends Echo {
        final java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();

        @Override
        public void onOpen(Connection connection) {
            connection.write(ByteBuffer.wrap(new byte[] {42}));
            connection.shutdownOutput();
            connection.pauseReading();
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            synchronized (received) {
                received.writeBytes(bytes);
            }
        }
    }

    private static Throwable catching(Runnable action) {
        try {
            action.run();
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    static byte[] pattern(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 8));
        }
        return bytes;
    }

    @Test
    void aPeerStillSendingWhenTheServerClosesSeesTheReplyThenAnOrderlyEnd() throws Exception {
        // Found in review: close() dropped at most 256 KiB of the peer's input, then
        // close(2) with more arriving sent a reset instead of the end of stream.
        ConnectionHandler replyAndClose = new ConnectionHandler() {
            private long received;

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                received += data.remaining();
                if (received >= 1024 * 1024) { // the upload is in full flow: the refusal comes now
                    connection.write(ByteBuffer.wrap("bye\n".getBytes(StandardCharsets.US_ASCII)));
                    connection.close();
                }
            }
        };
        try (LoopThread server = LoopThread.serve(replyAndClose); Socket client = EchoClient.connect(server.address())) {
            Thread writer = Thread.ofPlatform().start(() -> {
                byte[] chunk = new byte[64 * 1024];
                try {
                    for (int i = 0; i < 64; i++) { // 4 MiB, an upload the server refuses
                        client.getOutputStream().write(chunk);
                    }
                    client.shutdownOutput();
                } catch (IOException e) {
                    // the server is gone
                }
            });
            InputStream in = client.getInputStream();
            assertEquals("bye\n", new String(in.readNBytes(4), StandardCharsets.US_ASCII));
            assertEquals(-1, in.read(), "an orderly end of stream, not a reset");
            writer.join();
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
