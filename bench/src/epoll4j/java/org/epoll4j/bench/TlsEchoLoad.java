// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.EventLoop;
import org.epoll4j.Tls;

/**
 * The closed-loop load of bench/tls-echo (issue #20): C TLS echo clients on one epoll4j loop,
 * each sending SIZE bytes and waiting for all of them back before sending again, as
 * bench/c/loadgen does in plaintext (which speaks no TLS). After WARMUP seconds it counts the
 * round trips of a window of WINDOW seconds and the server's CPU time over it (every thread of
 * SERVER_PID, /proc/PID/task/N/schedstat), and prints {@code round_trips N cpu_ns C}.
 *
 * <p>{@code TlsEchoLoad HOST PORT C SIZE WARMUP WINDOW CA_PEM SERVER_PID}
 */
public final class TlsEchoLoad {
    private TlsEchoLoad() {}

    public static void main(String[] args) throws Exception {
        InetSocketAddress address = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        int connections = Integer.parseInt(args[2]);
        int size = Integer.parseInt(args[3]);
        long warmup = Long.parseLong(args[4]);
        long window = Long.parseLong(args[5]);
        Tls tls = Tls.client(trusting(Path.of(args[6])), "localhost");
        long server = Long.parseLong(args[7]);
        AtomicLong trips = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        ByteBuffer message = ByteBuffer.allocateDirect(size);
        EventLoop loop = EventLoop.open();
        for (int i = 0; i < connections; i++) {
            loop.connect(address, tls, new ConnectionHandler() {
                private int received;

                @Override
                public void onOpen(Connection connection) {
                    connection.write(message.duplicate());
                }

                @Override
                public void onData(Connection connection, ByteBuffer data) {
                    received += data.remaining();
                    data.position(data.limit());
                    if (received == size) {
                        received = 0;
                        trips.incrementAndGet();
                        connection.write(message.duplicate());
                    }
                }

                @Override
                public void onClose(Connection connection, IOException cause) {
                    failed.incrementAndGet();
                }
            });
        }
        Thread.ofPlatform().daemon().start(loop::run);
        Thread.sleep(warmup * 1000);
        long trips0 = trips.get();
        long cpu0 = cpuNanos(server);
        Thread.sleep(window * 1000);
        long cpu1 = cpuNanos(server);
        long trips1 = trips.get();
        if (failed.get() > 0) {
            System.out.println("failed: " + failed.get() + " connections closed");
            System.exit(1);
        }
        System.out.println("round_trips " + (trips1 - trips0) + " cpu_ns " + (cpu1 - cpu0));
        System.exit(0);
    }

    private static long cpuNanos(long pid) throws IOException {
        long total = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks) {
                try {
                    total += Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
                } catch (IOException ended) {
                    // a thread that ended meanwhile
                }
            }
        }
        return total;
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
