// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;

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
        try (ServerSocket listener = options.blockingListener()) {
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
