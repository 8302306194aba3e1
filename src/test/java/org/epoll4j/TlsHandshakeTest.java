// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TLS handshakes of stream connections (#20) beyond the plain one: client certificates,
 * an expired certificate, renegotiation, resumption, and records sent a byte at a time.
 */
@Timeout(60)
class TlsHandshakeTest {
    private static LoopThread serve(Tls tls, HandlerFactory handlers) throws Exception {
        return LoopThread.serve(loop -> loop.listen(LoopThread.LOOPBACK, tls, handlers));
    }

    /** A context that trusts the test certificate and has no key: a client without a certificate. */
    private static SSLContext trustOnly(String trustedResource) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        try (InputStream in = TlsHandshakeTest.class.getResourceAsStream(trustedResource)) {
            trusted.setCertificateEntry("trusted", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    /** A handler that records onOpen's peer certificate subject, and onClose's cause. */
    private static final class Recorder implements ConnectionHandler {
        final CompletableFuture<String> peer = new CompletableFuture<>();
        final CompletableFuture<IOException> closed = new CompletableFuture<>();

        @Override
        public void onOpen(Connection connection) {
            try {
                peer.complete(((X509Certificate) connection.tlsSession().getPeerCertificates()[0])
                        .getSubjectX500Principal().getName());
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                peer.complete("none");
            }
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {
            connection.write(data);
        }

        @Override
        public void onClose(Connection connection, IOException cause) {
            closed.complete(cause);
        }
    }

    @Test
    void aNeededClientCertificateIsCheckedAndTheHandlerSeesIt() throws Exception {
        SSLContext context = TlsTest.context(); // the client sends the test certificate, which the server trusts
        Recorder handler = new Recorder();
        try (LoopThread loop = serve(Tls.server(context).withClientAuth(Tls.ClientAuth.NEED), c -> handler);
             SSLSocket socket = TlsTest.client(context, loop.address().getPort(), "TLSv1.3")) {
            assertEquals("CN=localhost", handler.peer.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void aClientWithoutANeededCertificateFailsTheHandshake() throws Exception {
        Recorder handler = new Recorder();
        try (LoopThread loop = serve(Tls.server(TlsTest.context()).withClientAuth(Tls.ClientAuth.NEED), c -> handler);
             SSLSocket socket = (SSLSocket) trustOnly("/tls/localhost.crt").getSocketFactory()
                     .createSocket("127.0.0.1", loop.address().getPort())) {
            socket.setSoTimeout(20_000);
            try {
                socket.startHandshake(); // TLS 1.3: the client may finish before the server says no
                socket.getInputStream().read();
            } catch (IOException expected) {
                // the server's alert
            }
            IOException cause = handler.closed.get(20, TimeUnit.SECONDS);
            assertInstanceOf(SSLHandshakeException.class, cause);
            assertTrue(!handler.peer.isDone(), "no onOpen");
        }
    }

    @Test
    void aWantedClientCertificateMayBeMissing() throws Exception {
        Recorder handler = new Recorder();
        try (LoopThread loop = serve(Tls.server(TlsTest.context()).withClientAuth(Tls.ClientAuth.WANT), c -> handler);
             SSLSocket socket = (SSLSocket) trustOnly("/tls/localhost.crt").getSocketFactory()
                     .createSocket("127.0.0.1", loop.address().getPort())) {
            socket.startHandshake();
            assertEquals("none", handler.peer.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void clientAuthIsAServersToAsk() {
        assertThrows(IllegalStateException.class,
                () -> Tls.client(TlsTest.context(), "localhost").withClientAuth(Tls.ClientAuth.NEED));
    }

    @Test
    void anExpiredServerCertificateFailsTheClientsHandshakeSayingSo() throws Exception {
        char[] password = "epoll4j".toCharArray();
        KeyStore expired = KeyStore.getInstance("PKCS12");
        try (InputStream in = getClass().getResourceAsStream("/tls/expired.p12")) {
            expired.load(in, password);
        }
        javax.net.ssl.KeyManagerFactory keys = javax.net.ssl.KeyManagerFactory.getInstance(
                javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        keys.init(expired, password);
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(keys.getKeyManagers(), null, null);
        try (SSLServerSocket server = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket(0);
             LoopThread loop = LoopThread.start()) {
            CompletableFuture.runAsync(() -> {
                try (SSLSocket peer = (SSLSocket) server.accept()) {
                    peer.setSoTimeout(20_000);
                    peer.startHandshake();
                } catch (IOException expected) {
                    // the client's alert
                }
            }, Thread::startVirtualThread);
            Recorder handler = new Recorder();
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.getLocalPort());
            loop.call(() -> loop.loop().connect(address, Tls.client(trustOnly("/tls/ca.crt"), "localhost"), handler));
            IOException cause = handler.closed.get(20, TimeUnit.SECONDS);
            assertInstanceOf(SSLHandshakeException.class, cause);
            Throwable root = cause;
            StringBuilder messages = new StringBuilder();
            for (; root != null; root = root.getCause()) {
                messages.append(root).append('\n');
            }
            assertTrue(messages.toString().contains("CertificateExpiredException")
                    || messages.toString().contains("validity check failed"), messages.toString());
        }
    }

    @Test
    void aTls12RenegotiationIsRefused() throws Exception {
        SSLContext context = TlsTest.context();
        Recorder handler = new Recorder();
        try (LoopThread loop = serve(Tls.server(context), c -> handler);
             SSLSocket socket = TlsTest.client(context, loop.address().getPort(), "TLSv1.2")) {
            socket.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            assertEquals("ping", new String(TlsTest.readFully(socket, 4), StandardCharsets.US_ASCII));
            try {
                socket.startHandshake(); // a ClientHello on the established connection
                socket.getInputStream().read();
            } catch (IOException expected) {
                // the server's alert, or the end
            }
            IOException cause = handler.closed.get(20, TimeUnit.SECONDS);
            assertInstanceOf(SSLException.class, cause);
            assertTrue(cause.getMessage().contains("renegotiation"), cause.getMessage());
        }
    }

    @Test
    void aTls12SessionIsResumedByTheSameClientsOnBothSides() throws Exception {
        SSLContext context = TlsTest.context();
        // Our server, the JDK's client.
        try (LoopThread loop = serve(Tls.server(context), c -> new Recorder())) {
            byte[] first;
            try (SSLSocket socket = TlsTest.client(context, loop.address().getPort(), "TLSv1.2")) {
                first = socket.getSession().getId();
            }
            try (SSLSocket socket = TlsTest.client(context, loop.address().getPort(), "TLSv1.2")) {
                assertArrayEquals(first, socket.getSession().getId(), "the second session is the first, resumed");
            }
        }
        // The JDK's server, our client.
        try (SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0);
             LoopThread loop = LoopThread.start()) {
            server.setEnabledProtocols(new String[] {"TLSv1.2"});
            CompletableFuture<byte[]> ids = CompletableFuture.supplyAsync(() -> {
                java.io.ByteArrayOutputStream both = new java.io.ByteArrayOutputStream();
                for (int i = 0; i < 2; i++) {
                    try (SSLSocket peer = (SSLSocket) server.accept()) {
                        peer.setSoTimeout(20_000);
                        peer.getOutputStream().write('x');
                        peer.getOutputStream().flush();
                        both.writeBytes(peer.getSession().getId());
                        peer.getInputStream().read();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }
                return both.toByteArray();
            }, Thread::startVirtualThread);
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.getLocalPort());
            Tls tls = Tls.client(context, "localhost");
            for (int i = 0; i < 2; i++) {
                CompletableFuture<Void> got = new CompletableFuture<>();
                loop.call(() -> loop.loop().connect(address, tls, (connection, data) -> {
                    data.position(data.limit());
                    got.complete(null);
                    connection.close();
                }));
                got.get(20, TimeUnit.SECONDS);
            }
            byte[] both = ids.get(20, TimeUnit.SECONDS);
            int half = both.length / 2;
            assertArrayEquals(java.util.Arrays.copyOf(both, half), java.util.Arrays.copyOfRange(both, half, both.length),
                    "the server saw the second session resume the first");
        }
    }

    /** Every record of the client's, handshake and data, comes a byte at a time: each read may hold one byte. */
    @Test
    void recordsCutAtEveryByteAreReassembled() throws Exception {
        SSLContext context = TlsTest.context();
        try (LoopThread loop = serve(Tls.server(context), c -> new Recorder());
             Socket socket = new Socket("127.0.0.1", loop.address().getPort())) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(20_000);
            SSLEngine engine = context.createSSLEngine("localhost", loop.address().getPort());
            engine.setUseClientMode(true);
            ByteByByte client = new ByteByByte(engine, socket);
            client.handshake();
            byte[] message = "cut at every byte, and whole again".getBytes(StandardCharsets.US_ASCII);
            client.send(ByteBuffer.wrap(message));
            assertEquals(new String(message, StandardCharsets.US_ASCII),
                    new String(client.receive(message.length), StandardCharsets.US_ASCII));
        }
    }

    /** A blocking client over an SSLEngine that writes its records one byte per write. */
    private static final class ByteByByte {
        private final SSLEngine engine;
        private final OutputStream out;
        private final InputStream in;
        private final ByteBuffer netIn = ByteBuffer.allocate(1 << 17);
        private final ByteBuffer appIn = ByteBuffer.allocate(1 << 17);

        ByteByByte(SSLEngine engine, Socket socket) throws IOException {
            this.engine = engine;
            this.out = socket.getOutputStream();
            this.in = socket.getInputStream();
        }

        void handshake() throws Exception {
            engine.beginHandshake();
            while (true) {
                HandshakeStatus status = engine.getHandshakeStatus();
                switch (status) {
                    case NEED_WRAP -> send(ByteBuffer.allocate(0));
                    case NEED_UNWRAP -> unwrapSome();
                    case NEED_TASK -> engine.getDelegatedTask().run();
                    default -> {
                        return;
                    }
                }
            }
        }

        void send(ByteBuffer plain) throws Exception {
            ByteBuffer net = ByteBuffer.allocate(1 << 17);
            do {
                engine.wrap(plain, net);
            } while (plain.hasRemaining());
            net.flip();
            while (net.hasRemaining()) {
                out.write(net.get());
                out.flush();
                Thread.sleep(0, 200_000);
            }
        }

        byte[] receive(int length) throws Exception {
            while (appIn.position() < length) {
                unwrapSome();
            }
            appIn.flip();
            byte[] bytes = new byte[length];
            appIn.get(bytes);
            return bytes;
        }

        private void unwrapSome() throws IOException {
            netIn.flip();
            SSLEngineResult result = engine.unwrap(netIn, appIn);
            netIn.compact();
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW
                    || (result.bytesConsumed() == 0 && result.getHandshakeStatus() == HandshakeStatus.NEED_UNWRAP)) {
                byte[] chunk = new byte[8192];
                int n = in.read(chunk);
                if (n < 0) {
                    throw new IOException("the server ended the stream");
                }
                netIn.put(chunk, 0, n);
            }
        }
    }
}
