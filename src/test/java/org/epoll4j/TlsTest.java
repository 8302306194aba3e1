// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS on stream connections (#20), against the JDK's blocking {@code SSLSocket}: the
 * handshake on the loop, plaintext in and out with the handler contract unchanged,
 * close_notify both ways, truncation, and bad input from the peer.
 */
@Timeout(60)
class TlsTest {
    /** A context with the test's self-signed certificate for localhost, 127.0.0.1 and ::1, which it trusts too. */
    static SSLContext context() throws Exception {
        char[] password = "epoll4j".toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = TlsTest.class.getResourceAsStream("/tls/localhost.p12")) {
            store.load(in, password);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    /** A client socket to {@code port}, speaking only {@code protocol}, handshaken. */
    static SSLSocket client(SSLContext context, int port, String protocol) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setEnabledProtocols(new String[] {protocol});
        socket.setSoTimeout(20_000);
        socket.startHandshake();
        return socket;
    }

    /** Echoes; records what it was told. */
    static class EchoHandler implements ConnectionHandler {
        final CompletableFuture<String> opened = new CompletableFuture<>();
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        final CompletableFuture<IOException> closed = new CompletableFuture<>();

        @Override
        public void onOpen(Connection connection) {
            opened.complete(connection.tlsSession().getProtocol() + " " + connection.applicationProtocol());
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {
            connection.write(data);
        }

        @Override
        public void onEndOfInput(Connection connection) {
            events.add("end of input");
            connection.close();
        }

        @Override
        public void onClose(Connection connection, IOException cause) {
            closed.complete(cause);
        }
    }

    private static LoopThread serve(Tls tls, HandlerFactory handlers) throws Exception {
        return LoopThread.serve(loop -> loop.listen(LoopThread.LOOPBACK, tls, handlers));
    }

    private static byte[] random(int n) {
        byte[] bytes = new byte[n];
        new Random(n).nextBytes(bytes);
        return bytes;
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void echoesAMebibyteByteForByteAndClosesWithCloseNotify(String protocol) throws Exception {
        SSLContext context = context();
        EchoHandler handler = new EchoHandler();
        try (LoopThread loop = serve(Tls.server(context), c -> handler);
             SSLSocket socket = client(context, loop.address().getPort(), protocol)) {
            assertEquals(protocol + " null", handler.opened.get(20, TimeUnit.SECONDS));
            byte[] sent = random(1 << 20);
            CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> readFully(socket, sent.length));
            OutputStream out = socket.getOutputStream();
            for (int i = 0; i < sent.length; i += 7_000) {
                out.write(sent, i, Math.min(7_000, sent.length - i)); // records cut at no boundary of ours
            }
            out.flush();
            assertArrayEquals(sent, echoed.get(30, TimeUnit.SECONDS));
            socket.shutdownOutput(); // close_notify (TLS 1.3 half-close; 1.2 closes both ways)
            assertEquals("end of input", handler.events.poll(20, TimeUnit.SECONDS));
            assertNull(handler.closed.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void closeSendsCloseNotifyAfterTheQueuedOutput() throws Exception {
        SSLContext context = context();
        byte[] reply = random(300_000);
        EchoHandler handler = new EchoHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                data.position(data.limit());
                connection.write(ByteBuffer.wrap(reply));
                connection.close();
            }
        };
        try (LoopThread loop = serve(Tls.server(context), c -> handler);
             SSLSocket socket = client(context, loop.address().getPort(), "TLSv1.3")) {
            socket.getOutputStream().write('x');
            socket.getOutputStream().flush();
            byte[] got = readToEnd(socket); // -1 only after a close_notify: a bare FIN is an SSLException
            assertArrayEquals(reply, got);
            socket.close();
            assertNull(handler.closed.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void applicationProtocolIsTheServersFirstChoiceThatTheClientOffers() throws Exception {
        SSLContext context = context();
        EchoHandler handler = new EchoHandler();
        try (LoopThread loop = serve(Tls.server(context).withApplicationProtocols("h2", "http/1.1"), c -> handler);
             SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1",
                     loop.address().getPort())) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(new String[] {"http/1.1", "spdy/3"});
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            assertEquals("http/1.1", socket.getApplicationProtocol());
            assertEquals("TLSv1.3 http/1.1", handler.opened.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void framingKeepsAPlaintextMessageSplitAcrossRecords() throws Exception {
        SSLContext context = context();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.keepUnread(100);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                int end;
                while ((end = Frames.delimited(data, new byte[] {'\n'}, 100)) >= 0) {
                    byte[] line = new byte[end - data.position() - 1];
                    data.get(line).position(end);
                    lines.add(new String(line, StandardCharsets.US_ASCII));
                    connection.stage(ByteBuffer.wrap(("ok " + line.length + "\n").getBytes(StandardCharsets.US_ASCII)));
                }
            }
        };
        try (LoopThread loop = serve(Tls.server(context), c -> handler);
             SSLSocket socket = client(context, loop.address().getPort(), "TLSv1.3")) {
            OutputStream out = socket.getOutputStream();
            for (String part : new String[] {"hel", "lo\nwor", "ld", "\n", "a\nb\nc"}) {
                out.write(part.getBytes(StandardCharsets.US_ASCII)); // each a record of its own
                out.flush();
                Thread.sleep(20);
            }
            out.write('\n');
            out.flush();
            for (String expected : new String[] {"hello", "world", "a", "b", "c"}) {
                assertEquals(expected, lines.poll(20, TimeUnit.SECONDS));
            }
            assertEquals("ok 5\nok 5\nok 1\nok 1\nok 1\n", new String(readFully(socket, 25), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aMessageLongerThanTheUnreadLimitResets() throws Exception {
        SSLContext context = context();
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.keepUnread(10);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                // takes nothing: no message ends
            }

            @Override
            public void onClose(Connection connection, IOException cause) {
                closed.complete(cause);
            }
        };
        try (LoopThread loop = serve(Tls.server(context), c -> handler);
             SSLSocket socket = client(context, loop.address().getPort(), "TLSv1.3")) {
            socket.getOutputStream().write(new byte[11]);
            socket.getOutputStream().flush();
            IOException cause = closed.get(20, TimeUnit.SECONDS);
            assertNotNull(cause);
            assertTrue(cause.getMessage().contains("unread input limit exceeded"), cause.getMessage());
        }
    }

    @Test
    void anEndOfStreamWithoutCloseNotifyIsReportedAsTruncation() throws Exception {
        SSLContext context = context();
        EchoHandler handler = new EchoHandler();
        try (LoopThread loop = serve(Tls.server(context), c -> handler);
             Socket raw = new Socket("127.0.0.1", loop.address().getPort())) {
            SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(raw, "localhost",
                    loop.address().getPort(), false);
            socket.startHandshake();
            handler.opened.get(20, TimeUnit.SECONDS);
            raw.shutdownOutput(); // FIN, no close_notify
            IOException cause = handler.closed.get(20, TimeUnit.SECONDS);
            assertInstanceOf(SSLException.class, cause);
            assertTrue(cause.getMessage().contains("without a TLS close_notify"), cause.getMessage());
            assertTrue(handler.events.isEmpty(), "no end of input for a truncated stream: " + handler.events);
        }
    }

    @Test
    void plaintextToATlsPortClosesWithAnSSLException() throws Exception {
        EchoHandler handler = new EchoHandler();
        try (LoopThread loop = serve(Tls.server(context()), c -> handler);
             Socket socket = new Socket("127.0.0.1", loop.address().getPort())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            IOException cause = handler.closed.get(20, TimeUnit.SECONDS);
            assertInstanceOf(SSLException.class, cause);
            assertTrue(!handler.opened.isDone(), "no onOpen without a handshake");
            readToEndOrReset(socket); // an alert, then the end: nothing hangs
        }
    }

    @Test
    void aStalledHandshakeTimesOut() throws Exception {
        EchoHandler handler = new EchoHandler();
        Tls tls = Tls.server(context()).withHandshakeTimeout(Duration.ofMillis(200));
        try (LoopThread loop = serve(tls, c -> handler);
             Socket socket = new Socket("127.0.0.1", loop.address().getPort())) {
            socket.getOutputStream().write(0x16); // the first byte of a handshake record, and no more
            IOException cause = handler.closed.get(20, TimeUnit.SECONDS);
            assertInstanceOf(SSLHandshakeException.class, cause);
            assertTrue(cause.getMessage().contains("did not finish within PT0.2S"), cause.getMessage());
        }
    }

    @Test
    void clientConnectsChecksTheServersNameAndSendsWhatWasWrittenBeforeTheHandshake() throws Exception {
        SSLContext context = context();
        try (SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0);
             LoopThread loop = LoopThread.start()) {
            CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket peer = (SSLSocket) server.accept()) {
                    peer.setSoTimeout(20_000);
                    byte[] request = readFully(peer, 5);
                    peer.getOutputStream().write(("echo:" + new String(request, StandardCharsets.US_ASCII))
                            .getBytes(StandardCharsets.US_ASCII));
                    peer.getOutputStream().flush();
                    return peer.getSession().getProtocol() + " " + peer.getSession().getPeerHost();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            ConnectionHandler handler = new ConnectionHandler() {
                @Override
                public void onData(Connection connection, ByteBuffer data) {
                    got.add(StandardCharsets.US_ASCII.decode(data).toString());
                }
            };
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.getLocalPort());
            loop.call(() -> {
                Connection connection = loop.loop().connect(address, Tls.client(context, "localhost"), handler);
                connection.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
                return null;
            });
            StringBuilder all = new StringBuilder();
            while (all.length() < "echo:hello".length()) {
                all.append(got.poll(20, TimeUnit.SECONDS));
            }
            assertEquals("echo:hello", all.toString());
            assertTrue(served.get(20, TimeUnit.SECONDS).startsWith("TLSv1.3"));
        }
    }

    @Test
    void clientRefusesACertificateForAnotherName() throws Exception {
        SSLContext context = context();
        try (SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0);
             LoopThread loop = LoopThread.start()) {
            CompletableFuture.runAsync(() -> {
                try (SSLSocket peer = (SSLSocket) server.accept()) {
                    peer.setSoTimeout(20_000);
                    peer.startHandshake();
                } catch (IOException expected) {
                    // the client's alert
                }
            });
            CompletableFuture<IOException> closed = new CompletableFuture<>();
            CompletableFuture<Void> opened = new CompletableFuture<>();
            ConnectionHandler handler = new ConnectionHandler() {
                @Override
                public void onOpen(Connection connection) {
                    opened.complete(null);
                }

                @Override
                public void onData(Connection connection, ByteBuffer data) {}

                @Override
                public void onClose(Connection connection, IOException cause) {
                    closed.complete(cause);
                }
            };
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.getLocalPort());
            loop.call(() -> loop.loop().connect(address, Tls.client(context, "epoll4j.example"), handler));
            IOException cause = closed.get(20, TimeUnit.SECONDS);
            assertInstanceOf(SSLHandshakeException.class, cause);
            assertTrue(String.valueOf(cause.getMessage()).contains("epoll4j.example"), String.valueOf(cause));
            assertTrue(!opened.isDone());
        }
    }

    @Test
    void queuedOutputIsCountedInPlaintextAndDrainsToOnWritable() throws Exception {
        SSLContext context = context();
        CompletableFuture<long[]> queued = new CompletableFuture<>();
        CompletableFuture<Long> writable = new CompletableFuture<>();
        int chunk = 256 * 1024;
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.setWaterMarks(1024, 64 * 1024);
                // Until the kernel's buffers are full and output waits: how much they take varies
                // (a CI run's loopback took 4 MiB of a 4 MiB write), so the write is repeated.
                long written = 0;
                while (connection.isWritable() && written < 48L << 20) {
                    if (!connection.write(ByteBuffer.allocateDirect(chunk))) {
                        queued.complete(new long[] {-1, written, 0});
                        return;
                    }
                    written += chunk;
                }
                queued.complete(new long[] {written, connection.queuedBytes(), connection.isWritable() ? 1 : 0});
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}

            @Override
            public void onWritable(Connection connection) {
                writable.complete(connection.queuedBytes());
            }
        };
        try (LoopThread loop = serve(Tls.server(context), c -> handler);
             SSLSocket socket = client(context, loop.address().getPort(), "TLSv1.3")) {
            long[] state = queued.get(20, TimeUnit.SECONDS);
            long written = state[0];
            assertTrue(written > 0, "a write was refused after " + state[1] + " bytes");
            assertTrue(state[1] > 64 * 1024 && state[1] <= written, "plaintext queued: " + state[1] + " of " + written);
            assertEquals(0, state[2], "above the high-water mark");
            assertEquals(written, readFully(socket, (int) written).length);
            assertTrue(writable.get(20, TimeUnit.SECONDS) <= 1024);
        }
    }

    @Test
    void aClientTlsCannotListenNorAServerTlsConnect() throws Exception {
        SSLContext context = context();
        try (EventLoop loop = EventLoop.open()) {
            assertThrows(IllegalArgumentException.class,
                    () -> loop.listen(LoopThread.LOOPBACK, Tls.client(context, "localhost"), c -> new EchoHandler()));
            assertThrows(IllegalArgumentException.class,
                    () -> loop.connect(LoopThread.LOOPBACK, Tls.server(context), new EchoHandler()));
        }
    }

    @Test
    void writesFromAnotherThreadGoOutEncryptedInTheirOrder() throws Exception {
        SSLContext context = context();
        CompletableFuture<Connection> opened = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                opened.complete(connection);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}
        };
        int chunks = 2_000;
        try (LoopThread loop = serve(Tls.server(context), c -> handler);
             SSLSocket socket = client(context, loop.address().getPort(), "TLSv1.3")) {
            Connection connection = opened.get(20, TimeUnit.SECONDS);
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            for (int i = 0; i < chunks; i++) {
                byte[] chunk = ("chunk " + i + " " + "x".repeat(i % 700) + "\n").getBytes(StandardCharsets.US_ASCII);
                expected.write(chunk);
                assertTrue(connection.write(ByteBuffer.wrap(chunk)));
            }
            connection.close();
            assertArrayEquals(expected.toByteArray(), readToEnd(socket));
        }
    }

    @Test
    void pausedReadingHoldsDecryptedInputUntilItResumes() throws Exception {
        SSLContext context = context();
        CompletableFuture<Connection> opened = new CompletableFuture<>();
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.pauseReading();
                opened.complete(connection);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                got.add(StandardCharsets.US_ASCII.decode(data).toString());
            }
        };
        try (LoopThread loop = serve(Tls.server(context), c -> handler);
             SSLSocket socket = client(context, loop.address().getPort(), "TLSv1.3")) {
            Connection connection = opened.get(20, TimeUnit.SECONDS);
            socket.getOutputStream().write("held".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            assertNull(got.poll(300, TimeUnit.MILLISECONDS), "delivered while paused");
            connection.resumeReading();
            assertEquals("held", got.poll(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void aCloseBeforeTheHandshakeIsDoneSendsWhatWasWrittenFirst() throws Exception {
        SSLContext context = context();
        try (SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0);
             LoopThread loop = LoopThread.start()) {
            CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket peer = (SSLSocket) server.accept()) {
                    peer.setSoTimeout(20_000);
                    return new String(peer.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, Thread::startVirtualThread);
            CompletableFuture<IOException> closed = new CompletableFuture<>();
            ConnectionHandler handler = new ConnectionHandler() {
                @Override
                public void onData(Connection connection, ByteBuffer data) {}

                @Override
                public void onClose(Connection connection, IOException cause) {
                    closed.complete(cause);
                }
            };
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.getLocalPort());
            loop.call(() -> {
                Connection connection = loop.loop().connect(address, Tls.client(context, "127.0.0.1"), handler);
                connection.write(ByteBuffer.wrap("goodbye".getBytes(StandardCharsets.US_ASCII)));
                connection.close();
                return null;
            });
            assertEquals("goodbye", served.get(20, TimeUnit.SECONDS)); // readAllBytes: -1 after close_notify only
            assertNull(closed.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void aRefusingTaskExecutorFailsTheHandshake() throws Exception {
        EchoHandler handler = new EchoHandler();
        Tls tls = Tls.server(context()).withDelegatedTasks(task -> {
            throw new java.util.concurrent.RejectedExecutionException("no threads today");
        });
        try (LoopThread loop = serve(tls, c -> handler);
             Socket raw = new Socket("127.0.0.1", loop.address().getPort())) {
            SSLSocket socket = (SSLSocket) context().getSocketFactory().createSocket(raw, "localhost",
                    loop.address().getPort(), true);
            socket.setSoTimeout(20_000);
            assertThrows(IOException.class, socket::startHandshake);
            IOException cause = handler.closed.get(20, TimeUnit.SECONDS);
            assertInstanceOf(SSLHandshakeException.class, cause);
            assertTrue(cause.getMessage().contains("no threads today"), cause.getMessage());
        }
    }

    @Test
    void tlsRunsOverUnixSocketsBothSidesOurs() throws Exception {
        SSLContext context = context();
        java.nio.file.Path path = java.nio.file.Files.createTempDirectory("epoll4j-tls").resolve("s");
        java.net.UnixDomainSocketAddress address = java.net.UnixDomainSocketAddress.of(path);
        EchoHandler echo = new EchoHandler();
        byte[] sent = random(200_000);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        CompletableFuture<String> done = new CompletableFuture<>();
        try (LoopThread loop = LoopThread.start()) {
            loop.call(() -> loop.loop().listen(address, Tls.server(context), c -> echo));
            loop.call(() -> loop.loop().connect(address, Tls.client(context, "localhost"), new ConnectionHandler() {
                @Override
                public void onOpen(Connection connection) {
                    connection.write(ByteBuffer.wrap(sent));
                }

                @Override
                public void onData(Connection connection, ByteBuffer data) {
                    byte[] bytes = new byte[data.remaining()];
                    data.get(bytes);
                    received.writeBytes(bytes);
                    if (received.size() == sent.length) {
                        done.complete(connection.tlsSession().getProtocol());
                    }
                }
            }));
            assertEquals("TLSv1.3", done.get(20, TimeUnit.SECONDS));
            assertArrayEquals(sent, loop.call(received::toByteArray));
        } finally {
            java.nio.file.Files.deleteIfExists(path);
            java.nio.file.Files.deleteIfExists(path.getParent());
        }
    }

    @Test
    void handshakesGoodAndBadLeaveNoFdBehind() throws Exception {
        SSLContext context = context();
        Echo counts = new Echo();
        try (LoopThread loop = serve(Tls.server(context), c -> new EchoHandler() {
            @Override
            public void onClose(Connection connection, IOException cause) {
                counts.onClose(connection, cause);
            }
        })) {
            int port = loop.address().getPort();
            tlsCycle(context, port);
            Eventually.until("the warm-up connection closes", () -> counts.closes.size() == 1);
            java.util.Map<Integer, String> before = org.epoll4j.testing.OpenFds.snapshot();
            int cycles = 200;
            for (int i = 0; i < cycles; i++) {
                if (i % 2 == 0) {
                    tlsCycle(context, port);
                } else {
                    try (Socket plain = new Socket("127.0.0.1", port)) {
                        plain.getOutputStream().write("not a handshake\r\n".getBytes(StandardCharsets.US_ASCII));
                        readToEndOrReset(plain);
                    }
                }
            }
            Eventually.until("the server closes every connection", () -> counts.closes.size() == 1 + cycles);
            assertEquals(java.util.Map.of(), org.epoll4j.testing.OpenFds.openedSince(before));
        }
    }

    private static void tlsCycle(SSLContext context, int port) throws IOException {
        try (SSLSocket socket = client(context, port, "TLSv1.3")) {
            socket.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            assertEquals("ping", new String(readFully(socket, 4), StandardCharsets.US_ASCII));
        }
    }

    // ------------------------------------------------------------ client side helpers

    static byte[] readFully(SSLSocket socket, int n) {
        try {
            return socket.getInputStream().readNBytes(n);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static byte[] readToEnd(SSLSocket socket) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        socket.getInputStream().transferTo(all);
        return all.toByteArray();
    }

    private static void readToEndOrReset(Socket socket) {
        try {
            socket.getInputStream().transferTo(OutputStream.nullOutputStream());
        } catch (IOException reset) {
            // the server closed with unread input: a reset is the end too
        }
    }
}
