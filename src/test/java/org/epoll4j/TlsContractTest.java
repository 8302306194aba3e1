// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
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

    /** Reads one TLS record (the ClientHello) off {@code in}, whole. */
    private static byte[] record(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        byte[] header = new byte[5];
        data.readFully(header);
        int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
        byte[] body = new byte[length];
        data.readFully(body);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(header);
        all.write(body);
        return all.toByteArray();
    }

    /**
     * Guards a bug that #20's second review found: close() during a client's handshake, with
     * nothing written, dropped the server's handshake flight and held the FIN back: the
     * connection stalled until the handshake timeout reset it, and onClose got an
     * SSLHandshakeException for a plain close(). With nothing to send there is no handshake
     * to finish: the FIN goes at once, the peer's handshake fails on it, and onClose gets null.
     */
    @Test
    void aCloseDuringTheHandshakeWithNothingWrittenEndsAtOnce() throws Exception {
        SSLContext context = TlsTest.context();
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {}

            @Override
            public void onClose(Connection connection, IOException cause) {
                closed.complete(cause);
            }
        };
        try (ServerSocket server = new ServerSocket(0); LoopThread loop = LoopThread.start()) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.getLocalPort());
            Connection connection = loop.call(() -> loop.loop().connect(address,
                    Tls.client(context, "localhost").withHandshakeTimeout(Duration.ofSeconds(3)), handler));
            Socket raw = server.accept();
            byte[] clientHello = record(raw.getInputStream());
            CountDownLatch blocked = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            loop.loop().execute(() -> { // the loop waits here while the server's flight arrives
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
                connection.close();
            });
            assertTrue(blocked.await(20, TimeUnit.SECONDS));
            SSLSocket peer = (SSLSocket) ((SSLSocketFactory) context.getSocketFactory())
                    .createSocket(raw, new ByteArrayInputStream(clientHello), true);
            peer.setSoTimeout(20_000);
            CompletableFuture<String> handshake = CompletableFuture.supplyAsync(() -> {
                try {
                    peer.startHandshake();
                    return "done";
                } catch (IOException e) {
                    return e.toString();
                }
            }, Thread::startVirtualThread);
            Thread.sleep(500); // ServerHello ... Finished wait in the client's socket
            release.countDown();
            long start = System.nanoTime();
            String outcome = handshake.get(20, TimeUnit.SECONDS);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(outcome.contains("SSLHandshakeException") && millis < 2_000,
                    "the peer's handshake ended after " + millis + " ms: " + outcome);
            peer.close();
            assertNull(closed.get(20, TimeUnit.SECONDS));
        }
    }

    /**
     * Guards a bug that #20's second review found: a client writes and closes before its connect completes (CLOSING before the handshake);
     * the server ends the stream during the handshake. endOfInput: CLOSING with output
     * queued, so no close; not OPEN, so no truncation; input ended and nothing can be
     * written: the connection sits with no interest until the handshake timeout (10 s)
     * resets it, and onClose names a timeout, not the peer's end of stream.
     */
    @Test
    void aPeerThatEndsTheStreamDuringAClosingHandshakeIsReportedAtOnce() throws Exception {
        SSLContext context = TlsTest.context();
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {}

            @Override
            public void onClose(Connection connection, IOException cause) {
                closed.complete(cause);
            }
        };
        try (ServerSocket server = new ServerSocket(0); LoopThread loop = LoopThread.start()) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.getLocalPort());
            loop.call(() -> {
                Connection connection = loop.loop().connect(address, Tls.client(context, "localhost"), handler);
                connection.write(ByteBuffer.wrap(new byte[] {'x'}));
                connection.close();
                return null;
            });
            try (Socket raw = server.accept()) {
                record(raw.getInputStream());
            } // FIN, during the handshake
            long start = System.nanoTime();
            IOException cause = closed.get(20, TimeUnit.SECONDS);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 3_000 && cause.getMessage().contains("closed the connection during the TLS handshake"),
                    "after " + millis + " ms: " + cause);
        }
    }

    /**
     * Guards a bug that #20's second review found: the end of input that waits for plaintext kept while paused (endAfterKept) is only
     * checked on redelivery: a resume asked during the end-of-turn flush (here from another
     * connection's onData, handed back in its end of turn; a proxy's resume of its source) defers this connection's
     * redelivery to the next turn, whose events come first: the socket's EOF is read,
     * endOfInput sees inboundDone and calls onEndOfInput before the kept plaintext.
     */
    @Test
    void theEndOfInputWaitsForPlaintextKeptWhilePausedWhateverTurnResumes() throws Exception {
        SSLContext context = TlsTest.context();
        java.nio.file.Path path = java.nio.file.Files.createTempDirectory("epoll4j-tls").resolve("s");
        java.net.UnixDomainSocketAddress address = java.net.UnixDomainSocketAddress.of(path);
        java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicInteger ends = new java.util.concurrent.atomic.AtomicInteger();
        java.util.List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Long> atEnd = new CompletableFuture<>();
        CompletableFuture<Connection> opened = new CompletableFuture<>();
        CompletableFuture<Void> sent = new CompletableFuture<>();
        int size = 8 * 16384 + 1000;
        ConnectionHandler tlsServer = new ConnectionHandler() {
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
                connection.pauseReading();
            }

            @Override
            public void onEndOfInput(Connection connection) {
                log.add("end");
                ends.incrementAndGet();
                atEnd.complete(received.get());
            }
        };
        ConnectionHandler client = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.write(ByteBuffer.allocate(size));
                connection.close(); // close_notify, then FIN
                sent.complete(null);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}
        };
        // A plaintext connection on the same loop: its first byte is left unread and reading
        // paused; the test resumes it from its thread, and the byte is handed back in the
        // end-of-turn flush, where the handler resumes the TLS connection.
        CompletableFuture<Connection> pokeConnection = new CompletableFuture<>();
        ConnectionHandler trigger = new ConnectionHandler() {
            boolean left;

            @Override
            public void onOpen(Connection connection) {
                connection.keepUnread(16);
                pokeConnection.complete(connection);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                if (!left) {
                    left = true;
                    connection.pauseReading(); // the byte stays unread
                    return;
                }
                left = false;
                data.position(data.limit());
                opened.join().resumeReading();
            }
        };
        try (LoopThread serverLoop = LoopThread.start(); LoopThread clientLoop = LoopThread.start()) {
            serverLoop.call(() -> serverLoop.loop().listen(address, Tls.server(context), c -> tlsServer));
            int port = serverLoop.call(() -> ((InetSocketAddress) serverLoop.loop()
                    .listen(LoopThread.LOOPBACK, trigger).localAddress()).getPort());
            clientLoop.call(() -> clientLoop.loop().connect(address, Tls.client(context, "localhost"), client));
            opened.get(20, TimeUnit.SECONDS);
            sent.get(20, TimeUnit.SECONDS);
            Thread.sleep(300);
            try (Socket poke = new Socket("127.0.0.1", port)) {
                for (int i = 0; i < 100 && !atEnd.isDone(); i++) {
                    poke.getOutputStream().write('.');
                    Thread.sleep(50);
                    pokeConnection.get(20, TimeUnit.SECONDS).resumeReading();
                    Thread.sleep(100);
                }
            }
            Thread.sleep(300);
            assertEquals(size, atEnd.get(), "plaintext before onEndOfInput; " + log);
            assertEquals(1, ends.get(), "onEndOfInput calls; " + log);
        } finally {
            java.nio.file.Files.deleteIfExists(path);
            java.nio.file.Files.deleteIfExists(path.getParent());
        }
    }

    /**
     * Guards a bug that #20's second review found: IoContext.malloc zeroed (since reverted): UnreadInput.keep takes `limit` bytes, all of them touched.
     * A connection whose handler keeps up to 2 MiB (the RESP example's MAX_COMMAND) and that
     * holds one byte of a cut message now costs 2 MiB of resident memory, not a page.
     */
    @Test
    void aConnectionHoldingOneUnreadByteDoesNotCommitItsWholeLimit() throws Exception {
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.keepUnread(2 * 1024 * 1024);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {} // a message cut: all left unread
        };
        java.util.List<Socket> clients = new java.util.ArrayList<>();
        try (LoopThread loop = LoopThread.serve(handler)) {
            long before = rssKb();
            for (int i = 0; i < 200; i++) {
                Socket client = new Socket("127.0.0.1", loop.address().getPort());
                client.getOutputStream().write('*');
                clients.add(client);
            }
            loop.call(() -> null);
            Thread.sleep(500);
            loop.call(() -> null);
            long grown = (rssKb() - before) / 1024;
            assertTrue(grown < 50, "200 connections with 1 byte kept each: RSS +" + grown + " MiB");
        } finally {
            for (Socket client : clients) {
                client.close();
            }
        }
    }

    /**
     * Guards a bug that #20's second review found: a HandlerFactory that refuses a connection by closing it (as HandlerFactory documents):
     * finishClose drops the ClientHello (discardInput), holds the FIN back (closeOutbound:
     * not established, state OPEN) and goes CLOSING; opened() then returns before
     * tls.start(), so there is no handshake deadline either. The client hangs until the close
     * timeout (30 s) resets it.
     */
    @Test
    void aConnectionTheFactoryClosesEndsAtOnce() throws Exception {
        SSLContext context = TlsTest.context();
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        ConnectionHandler refused = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {}

            @Override
            public void onClose(Connection connection, IOException cause) {
                closed.complete(cause);
            }
        };
        try (LoopThread loop = LoopThread.serve(l -> l.listen(LoopThread.LOOPBACK, Tls.server(context), c -> {
            c.close(); // refused, say by its address
            return refused;
        }))) {
            CountDownLatch blocked = new CountDownLatch(1);
            loop.loop().execute(() -> { // the ClientHello arrives before the accept
                blocked.countDown();
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            assertTrue(blocked.await(20, TimeUnit.SECONDS));
            long start = System.nanoTime();
            String outcome;
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1",
                    loop.address().getPort())) {
                socket.setSoTimeout(20_000);
                socket.startHandshake();
                outcome = "handshake done, read " + socket.getInputStream().read();
            } catch (IOException e) {
                outcome = e.toString();
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 5_000, "the client's end came after " + millis + " ms: " + outcome);
            assertNull(closed.get(20, TimeUnit.SECONDS));
        }
    }

    /** LoopMetrics' counters return to 0 after resets and close_notify in the middle of backlogs (second review). */
    @Test
    void countersAfterResetsAndTls12CloseNotifyWithBacklogs() throws Exception {
        SSLContext context = TlsTest.context();
        java.util.concurrent.BlockingQueue<Object> closes = new java.util.concurrent.LinkedBlockingQueue<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                for (int i = 0; i < 40; i++) {
                    connection.write(ByteBuffer.allocate(100_000)); // a multi-batch backlog
                }
                Thread.startVirtualThread(() -> { // and foreign writes
                    for (int i = 0; i < 20; i++) {
                        connection.write(ByteBuffer.allocate(50_000));
                    }
                });
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                data.position(data.limit());
            }

            @Override
            public void onClose(Connection connection, IOException cause) {
                closes.add(cause == null ? "null" : cause);
            }
        };
        try (LoopThread loop = LoopThread.serve(l -> l.listen(LoopThread.LOOPBACK, Tls.server(context), c -> handler))) {
            for (String protocol : new String[] {"TLSv1.3", "TLSv1.2"}) {
                try (SSLSocket socket = TlsTest.client(context, loop.address().getPort(), protocol)) {
                    socket.getInputStream().read(new byte[1000]);
                    Thread.sleep(200);
                    socket.setSoLinger(true, 0); // reset, mid-backlog
                }
                closes.poll(20, TimeUnit.SECONDS);
                try (SSLSocket socket = TlsTest.client(context, loop.address().getPort(), protocol)) {
                    socket.getInputStream().read(new byte[1000]);
                    Thread.sleep(200);
                    socket.shutdownOutput(); // close_notify, mid-backlog
                    Thread.sleep(200);
                }
                closes.poll(20, TimeUnit.SECONDS);
            }
            Thread.sleep(500);
            assertEquals(0L, loop.call(() -> loop.loop().metrics().bytesQueued()), "bytesQueued");
            assertEquals(0, (int) loop.call(() -> loop.loop().metrics().connections()), "connections");
        }
    }

    /**
     * Guards a bug that #20's second review found: after a TLS 1.2 peer's close_notify the engine's output is over: the loop thread's
     * write() returns false, but another thread's write() returns true (the inbox is open)
     * and acceptStaged then drops the bytes without a word: no refusal, no cause in onClose.
     */
    @Test
    void aForeignWriteAfterTheTls12CloseNotifyIsRefusedNotDropped() throws Exception {
        SSLContext context = TlsTest.context();
        CompletableFuture<Boolean> foreignTaken = new CompletableFuture<>();
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                data.position(data.limit());
            }

            @Override
            public void onEndOfInput(Connection connection) {
                Thread.startVirtualThread(() -> {
                    foreignTaken.complete(connection.write(ByteBuffer.wrap(new byte[100])));
                    connection.close();
                });
            }

            @Override
            public void onClose(Connection connection, IOException cause) {
                closed.complete(cause);
            }
        };
        try (LoopThread loop = LoopThread.serve(l -> l.listen(LoopThread.LOOPBACK, Tls.server(context), c -> handler));
             SSLSocket socket = TlsTest.client(context, loop.address().getPort(), "TLSv1.2")) {
            socket.getOutputStream().write('x');
            socket.getOutputStream().flush();
            socket.shutdownOutput();
            IOException cause = closed.get(20, TimeUnit.SECONDS);
            assertTrue(!foreignTaken.get(20, TimeUnit.SECONDS) || cause != null,
                    "a foreign write was taken (true), its 100 bytes were never sent, and onClose had no cause");
        }
    }

    static long rssKb() throws Exception {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
