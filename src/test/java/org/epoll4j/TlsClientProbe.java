// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS client of ours, for .ci/examples to run against {@code openssl s_server} (#20):
 * {@code TlsClientProbe HOST PORT SERVER_NAME CA_PEM LINE} connects, sends LINE and a
 * newline, and prints {@code protocol: P} and {@code reply: R}, the first line that
 * comes back; then closes with close_notify. Exits 1 on any failure, or after 20 s.
 */
final class TlsClientProbe {
    private TlsClientProbe() {}

    public static void main(String[] args) throws Exception {
        SSLContext context = trusting(Path.of(args[3]));
        InetSocketAddress address = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        CompletableFuture<String> reply = new CompletableFuture<>();
        StringBuilder line = new StringBuilder();
        try (EventLoop loop = EventLoop.open()) {
            loop.connect(address, Tls.client(context, args[2]), new ConnectionHandler() {
                @Override
                public void onOpen(Connection connection) {
                    System.out.println("protocol: " + connection.tlsSession().getProtocol());
                    connection.write(ByteBuffer.wrap((args[4] + "\n").getBytes(StandardCharsets.UTF_8)));
                }

                @Override
                public void onData(Connection connection, ByteBuffer data) {
                    line.append(StandardCharsets.UTF_8.decode(data));
                    int end = line.indexOf("\n");
                    if (end >= 0) {
                        reply.complete(line.substring(0, end));
                        connection.close();
                    }
                }

                @Override
                public void onClose(Connection connection, IOException cause) {
                    if (cause != null) {
                        reply.completeExceptionally(cause);
                    }
                    loop.stop();
                }
            });
            Thread.ofPlatform().daemon().start(loop::run);
            System.out.println("reply: " + reply.get(20, TimeUnit.SECONDS));
        } catch (Exception e) {
            System.out.println("failed: " + e);
            System.exit(1);
        }
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            trusted.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
