// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.epoll4j.testing.OpenFds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The handler contract on TLS connections, where a hostile review of #20 found it broken:
 * each test guards one of its findings. The JDK's SSLSocket peers here take a bare end of
 * stream for truncation (com.sun.net.ssl.requireCloseNotify, set for the tests in pom.xml).
 */
@Timeout(60)
class TlsContractTest {
    private static LoopThread serve(Tls tls, HandlerFactory handlers) throws Exception {
        return LoopThread.serve(loop -> loop.listen(LoopThread.LOOPBACK, tls, handlers));
    }

    /** A bare end of stream is not taken for a close_notify by the peers of these tests: this end is one. */
    @Test
    void aServersCloseEndsWithCloseNotify() throws Exception {
        SSLContext context = TlsTest.context();
        TlsTest.EchoHandler handler = new TlsTest.EchoHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                connection.write(data);
                connection.close();
            }
        };
        try (LoopThread loop = serve(Tls.server(context), c -> handler);
             SSLSocket socket = TlsTest.client(context, loop.address().getPort(), "TLSv1.3")) {
            socket.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            assertEquals("ping", new String(in.readNBytes(4), StandardCharsets.US_ASCII));
            assertEquals(-1, in.read());
        }
    }

    /**
     * Guards a bug that #20's review found: after a TLS 1.3 peer's close_notify (a half-close), close() closes the fd without
     * close_notify: finishClose sees the input ended (discardInput returns false) and calls closed().
     */
    @Test
    void closeAfterTheTls13PeersCloseNotifyStillSendsCloseNotify() throws Exception {
        SSLContext context = TlsTest.context();
        TlsTest.EchoHandler handler = new TlsTest.EchoHandler(); // onEndOfInput: close()
        try (LoopThread loop = serve(Tls.server(context), c -> handler);
             SSLSocket socket = TlsTest.client(context, loop.address().getPort(), "TLSv1.3")) {
            socket.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            assertEquals("ping", new String(in.readNBytes(4), StandardCharsets.US_ASCII));
            socket.shutdownOutput(); // close_notify; TLS 1.3 keeps our input open
            assertEquals("end of input", handler.events.poll(20, TimeUnit.SECONDS));
            assertNull(handler.closed.get(20, TimeUnit.SECONDS));
            // Fails: SSLProtocolException "Remote host terminated the connection" (FIN without close_notify)
            assertEquals(-1, in.read());
        }
    }

    /**
     * Guards a bug that #20's review found: onData's buffer is the loop-wide TlsBuffers.plain itself, capacity 96 KiB:
     * a handler can read plaintext decrypted earlier for another connection (ReadBuffer
     * guarantees the plaintext path a view whose capacity is what was read).
     */
    @Test
    void onDataDoesNotExposeAnotherConnectionsPlaintext() throws Exception {
        SSLContext context = TlsTest.context();
        byte[] secret = "CLIENT-ONE-PASSWORD=hunter2-hunter2-hunter2".getBytes(StandardCharsets.US_ASCII);
        CompletableFuture<String> peeked = new CompletableFuture<>();
        CompletableFuture<Void> firstRead = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                if (data.get(data.position()) == '?') {
                    ByteBuffer all = data.duplicate().clear(); // a handler's own view of its data
                    byte[] bytes = new byte[all.remaining()];
                    all.get(bytes);
                    String seen = new String(bytes, StandardCharsets.ISO_8859_1);
                    peeked.complete(seen.contains("hunter2") ? "saw " + seen.substring(seen.indexOf("PASSWORD"),
                            seen.indexOf("PASSWORD") + 30) : "nothing; capacity " + data.capacity());
                } else {
                    firstRead.complete(null);
                }
                data.position(data.limit());
            }
        };
        try (LoopThread loop = serve(Tls.server(context), c -> handler);
             SSLSocket one = TlsTest.client(context, loop.address().getPort(), "TLSv1.3");
             SSLSocket two = TlsTest.client(context, loop.address().getPort(), "TLSv1.3")) {
            one.getOutputStream().write(secret);
            one.getOutputStream().flush();
            firstRead.get(20, TimeUnit.SECONDS);
            two.getOutputStream().write('?');
            two.getOutputStream().flush();
            assertTrue(peeked.get(20, TimeUnit.SECONDS).startsWith("nothing"), peeked.get());
        }
    }

    /**
     * Guards a bug that #20's review found: a server name that SNI cannot carry ("my_service")
     * failed in connect, after the socket was made, which leaked it. Tls.client refuses it.
     */
    @Test
    void aServerNameThatSniCannotCarryIsRefusedByTlsClient() throws Exception {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> Tls.client(TlsTest.context(), "my_service"));
        assertTrue(refused.getMessage().contains("my_service"), refused.getMessage());
    }

    /** An SSLContext not initialised makes no engine: connect throws, and no socket is left open. */
    @Test
    void aConnectWhoseEngineCannotBeMadeLeavesNoFdBehind() throws Exception {
        SSLContext uninitialised = SSLContext.getInstance("TLS");
        try (LoopThread loop = LoopThread.start()) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", 9);
            Map<Integer, String> before = OpenFds.snapshot();
            for (int i = 0; i < 3; i++) {
                AssertionError failed = assertThrows(AssertionError.class, () -> loop.call(
                        () -> loop.loop().connect(address, Tls.client(uninitialised, "localhost"), (c, d) -> { })));
                assertInstanceOf(IllegalStateException.class, failed.getCause());
            }
            assertEquals(Map.of(), OpenFds.openedSince(before));
        }
    }

    /** The same on the server: each accepted client sees its connection end, and the loop reports why. */
    @Test
    void anAcceptedConnectionWhoseEngineCannotBeMadeEndsAndLeavesNoFdBehind() throws Exception {
        SSLContext uninitialised = SSLContext.getInstance("TLS");
        try (LoopThread loop = serve(Tls.server(uninitialised), c -> (connection, data) -> { })) {
            Map<Integer, String> before = OpenFds.snapshot();
            for (int i = 0; i < 3; i++) {
                try (Socket client = new Socket("127.0.0.1", loop.address().getPort())) {
                    client.setSoTimeout(20_000);
                    assertEquals(-1, client.getInputStream().read());
                }
            }
            loop.call(() -> null);
            assertEquals(3, loop.takeReported().stream().filter(e -> e instanceof IllegalStateException).count());
            assertEquals(Map.of(), OpenFds.openedSince(before));
        }
    }

    /**
     * Guards a bug that #20's review found: after a TLS 1.2 peer's close_notify the engine
     * answers with its own and its output is over, but write() took bytes it could never
     * send, and LoopMetrics.bytesQueued kept counting them after the close. Such a write is
     * refused now, as after shutdownOutput.
     */
    @Test
    void aWriteAfterTheTls12CloseNotifyIsRefusedAndNothingStaysCounted() throws Exception {
        SSLContext context = TlsTest.context();
        CompletableFuture<String> written = new CompletableFuture<>();
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                data.position(data.limit());
            }

            @Override
            public void onEndOfInput(Connection connection) {
                written.complete("write " + connection.write(ByteBuffer.wrap(new byte[1000])) + ", stage "
                        + connection.stage(ByteBuffer.wrap(new byte[10])) + ", writable " + connection.isWritable());
                connection.close();
            }

            @Override
            public void onClose(Connection connection, IOException cause) {
                closed.complete(cause);
            }
        };
        try (LoopThread loop = serve(Tls.server(context), c -> handler)) {
            try (SSLSocket socket = TlsTest.client(context, loop.address().getPort(), "TLSv1.2")) {
                socket.getOutputStream().write('x');
                socket.getOutputStream().flush();
                socket.shutdownOutput(); // close_notify: in TLS 1.2 the engine answers and closes its output
                assertNull(closed.get(20, TimeUnit.SECONDS));
            }
            assertEquals("write false, stage false, writable false", written.get(20, TimeUnit.SECONDS));
            assertEquals(0, loop.call(() -> loop.loop().metrics().bytesQueued()), "bytes queued after every close");
        }
    }

    /**
     * Guards a bug that #20's review found: a TLS client's writes before the handshake above the high-water mark get
     * onWritable from tlsEstablished's flush before onOpen has run.
     */
    @Test
    void noOnWritableBeforeOnOpen() throws Exception {
        SSLContext context = TlsTest.context();
        List<String> events = new CopyOnWriteArrayList<>();
        try (SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0);
             LoopThread loop = LoopThread.start()) {
            CompletableFuture<Integer> served = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket peer = (SSLSocket) server.accept()) {
                    peer.setSoTimeout(20_000);
                    return peer.getInputStream().readNBytes(100_000).length;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, Thread::startVirtualThread);
            ConnectionHandler handler = new ConnectionHandler() {
                @Override
                public void onOpen(Connection connection) {
                    events.add("onOpen");
                }

                @Override
                public void onData(Connection connection, ByteBuffer data) {}

                @Override
                public void onWritable(Connection connection) {
                    events.add("onWritable");
                }
            };
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.getLocalPort());
            loop.call(() -> {
                Connection connection = loop.loop().connect(address, Tls.client(context, "localhost"), handler);
                connection.setWaterMarks(95_000, 99_000);
                connection.write(ByteBuffer.allocate(100_000));
                return null;
            });
            assertEquals(100_000, served.get(20, TimeUnit.SECONDS));
            Eventually.until("onOpen", () -> events.contains("onOpen"));
            assertEquals("onOpen", events.get(0), "events: " + events);
        }
    }

    /**
     * Guards a bug that #20's review found: close() before the handshake is done leaves the connection OPEN (deferClose):
     * isOpen() stays true and write() after close() is taken, against Connection.write's contract.
     */
    @Test
    void aWriteAfterCloseDuringTheHandshakeIsRefused() throws Exception {
        SSLContext context = TlsTest.context();
        try (SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0);
             LoopThread loop = LoopThread.start()) {
            CompletableFuture.runAsync(() -> {
                try (SSLSocket peer = (SSLSocket) server.accept()) {
                    peer.setSoTimeout(20_000);
                    peer.getInputStream().readAllBytes();
                } catch (IOException e) {
                    // not what this test looks at
                }
            }, Thread::startVirtualThread);
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.getLocalPort());
            String outcome = loop.call(() -> {
                Connection connection = loop.loop().connect(address, Tls.client(context, "localhost"),
                        (c, d) -> { });
                connection.close();
                boolean open = connection.isOpen();
                boolean taken = connection.write(ByteBuffer.wrap("after close".getBytes(StandardCharsets.US_ASCII)));
                return "isOpen=" + open + " writeTaken=" + taken;
            });
            assertEquals("isOpen=false writeTaken=false", outcome);
        }
    }

    /**
     * Guards a bug that #20's review found: plaintext decrypted while reading is paused (the rest of a drive after the
     * handler paused) is kept, but a close_notify in the same drive calls onEndOfInput at once,
     * before that plaintext: a handler that closes there loses it. Unix sockets, both sides
     * ours, so that the whole stream waits in the server's socket and reads are 64 KiB.
     */
    @Test
    void dataBeforeCloseNotifyIsDeliveredBeforeTheEndOfInputWhilePaused() throws Exception {
        SSLContext context = TlsTest.context();
        java.nio.file.Path path = java.nio.file.Files.createTempDirectory("epoll4j-tls").resolve("s");
        java.net.UnixDomainSocketAddress address = java.net.UnixDomainSocketAddress.of(path);
        AtomicLong received = new AtomicLong();
        CompletableFuture<Long> atEnd = new CompletableFuture<>();
        CompletableFuture<Connection> opened = new CompletableFuture<>();
        CompletableFuture<Void> sent = new CompletableFuture<>();
        BlockingQueue<String> log = new LinkedBlockingQueue<>();
        int size = 8 * 16384 + 1000;
        ConnectionHandler server = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.pauseReading();
                opened.complete(connection);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                log.add("data " + data.remaining());
                received.addAndGet(data.remaining());
                data.position(data.limit());
                connection.pauseReading(); // back-pressure: each delivery is worked on elsewhere
            }

            @Override
            public void onEndOfInput(Connection connection) {
                atEnd.complete(received.get());
                connection.close();
            }
        };
        ConnectionHandler client = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.write(ByteBuffer.allocate(size));
                connection.shutdownOutput(); // close_notify right after the data
                sent.complete(null);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}
        };
        try (LoopThread serverLoop = LoopThread.start(); LoopThread clientLoop = LoopThread.start()) {
            serverLoop.call(() -> serverLoop.loop().listen(address, Tls.server(context), c -> server));
            clientLoop.call(() -> clientLoop.loop().connect(address, Tls.client(context, "localhost"), client));
            Connection connection = opened.get(20, TimeUnit.SECONDS);
            sent.get(20, TimeUnit.SECONDS);
            Thread.sleep(300); // all of it waits in the server's socket
            while (!atEnd.isDone()) {
                connection.resumeReading();
                Thread.sleep(100);
            }
            assertEquals(size, atEnd.get(), "plaintext handed over before onEndOfInput; deliveries: " + log);
        } finally {
            java.nio.file.Files.deleteIfExists(path);
            java.nio.file.Files.deleteIfExists(path.getParent());
        }
    }

    /**
     * Guards a bug that #20's review found: accept()'s TLS path counts the batch that waits encrypted (cipherPlain) as
     * queued but returns without aboveHighWater(): isWritable() stays true above the mark.
     */
    @Test
    void isWritableIsFalseWhileQueuedOutputIsAboveTheHighWaterMark() throws Exception {
        SSLContext context = TlsTest.context();
        CompletableFuture<String> seen = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.setWaterMarks(0, 1024);
                for (int i = 0; i < 10_000 && connection.isWritable(); i++) {
                    connection.write(ByteBuffer.allocate(32 * 1024));
                    if (connection.queuedBytes() > 1024 && connection.isWritable()) {
                        seen.complete("queued " + connection.queuedBytes() + " > 1024 and isWritable() after write " + i);
                        return;
                    }
                }
                seen.complete("ok");
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}
        };
        try (LoopThread loop = serve(Tls.server(context), c -> handler);
             SSLSocket socket = TlsTest.client(context, loop.address().getPort(), "TLSv1.3")) {
            assertEquals("ok", seen.get(20, TimeUnit.SECONDS)); // the client reads nothing meanwhile
        }
    }
}
