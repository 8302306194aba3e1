// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import javax.net.ssl.SSLContext;

/**
 * Echo server on virtual threads and blocking sockets: a virtual thread per connection reads
 * and writes back what it read. With {@code --tls-cert PEM --tls-key PEM} the listener is the
 * JDK's {@code SSLServerSocket} (the engine epoll4j's and Netty's TLS use, with the JDK
 * provider): the peer of bench/tls-echo. {@code --threads N} (default 1) is the
 * virtual-thread scheduler's parallelism. Serves until SIGTERM.
 */
public final class VirtualThreadEchoServer {
    private VirtualThreadEchoServer() {}

    /** Serves on {@code --host H --port P [--threads N] [--tls-cert PEM --tls-key PEM]} until SIGTERM. */
    public static void main(String[] args) throws IOException {
        ServerOptions options = ServerOptions.parse(args).allowOnly("VirtualThreadEchoServer", "--threads",
                "--tls-cert", "--tls-key");
        // The JDK reads this once, when the first virtual thread starts: no virtual thread may start before.
        System.setProperty("jdk.virtualThreadScheduler.parallelism", Integer.toString(options.threads()));
        SSLContext tls = options.tlsCert() == null ? null : ((JdkSslContext) SslContextBuilder
                .forServer(new File(options.tlsCert()), new File(options.tlsKey())).sslProvider(SslProvider.JDK)
                .build()).context();
        try (ServerSocket listener = tls == null ? new ServerSocket() : tls.getServerSocketFactory().createServerSocket()) {
            listener.setReuseAddress(true);
            listener.bind(options.address(), ServerOptions.BACKLOG);
            ServerOptions.announce((InetSocketAddress) listener.getLocalSocketAddress());
            while (true) {
                Socket socket = listener.accept();
                socket.setTcpNoDelay(true);
                Thread.startVirtualThread(() -> echo(socket));
            }
        }
    }

    private static void echo(Socket socket) {
        byte[] buffer = new byte[64 * 1024];
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // a reset or vanished peer: its connection just ends
        }
    }
}
