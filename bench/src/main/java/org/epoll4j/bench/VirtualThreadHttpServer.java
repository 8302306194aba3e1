// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * HTTP/1.1 plaintext server on virtual threads and blocking sockets: the peer of
 * {@code target/epoll4j-http-server.jar} and {@link NettyHttpServer} in bench/protocols, for
 * the code a JDK user writes without an event loop.
 *
 * <p>The main thread accepts on a {@link ServerSocket}; each connection gets a virtual thread
 * of its own ({@link HttpExchange}) that reads into a buffer, answers every whole request in it
 * and writes all their responses with one write, then reads again. {@code --threads N}
 * (default 1) is the virtual-thread scheduler's parallelism: the carrier threads that run the
 * connections. The responses are {@link HttpResponses}, renewed each second for their Date.
 * With {@code --tls-cert PEM --tls-key PEM}, HTTPS: the listener is the JDK's
 * {@code SSLServerSocket} (the same engine as epoll4j's and Netty's, with the JDK provider).
 * Serves until SIGTERM.
 */
public final class VirtualThreadHttpServer {

    private VirtualThreadHttpServer() {}

    /** Serves on {@code --host H --port P [--threads N]} until SIGTERM. */
    public static void main(String[] args) throws IOException {
        ServerOptions options = ServerOptions.parse(args).allowOnly("VirtualThreadHttpServer", "--threads",
                "--tls-cert", "--tls-key");
        // The JDK reads this once, when the first virtual thread starts: no virtual thread may start before.
        System.setProperty("jdk.virtualThreadScheduler.parallelism", Integer.toString(options.threads()));
        HttpResponses.renewEverySecond();
        try (ServerSocket listener = options.blockingListener()) {
            while (true) {
                Socket socket = listener.accept();
                socket.setTcpNoDelay(true);
                Thread.startVirtualThread(new HttpExchange(socket));
            }
        }
    }

    /** One connection, served on its own virtual thread until the peer closes it or a request ends it. */
    private static final class HttpExchange implements Runnable {
        private final Socket socket;
        private final byte[] input = new byte[HttpRequests.READ_BUFFER];
        private final HttpRequests requests = new HttpRequests();
        private int filled;

        HttpExchange(Socket socket) {
            this.socket = socket;
        }

        @Override
        public void run() {
            try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                while (true) {
                    int read = in.read(input, filled, input.length - filled);
                    if (read < 0) {
                        return;
                    }
                    filled += read;
                    int used = requests.answer(input, filled);
                    if (requests.pending() > 0) {
                        out.write(requests.output(), 0, requests.pending()); // every answer of this read at once
                        requests.sent();
                    }
                    if (requests.mustClose()) {
                        closeGracefully(in);
                        return;
                    }
                    // Whatever is left is a part of the next request: it moves to the front, where the next read adds to it.
                    System.arraycopy(input, used, input, 0, filled - used);
                    filled -= used;
                }
            } catch (IOException e) {
                // a reset or vanished peer: its connection just ends
            }
        }

        /**
         * FIN after the last response, then reads until the peer closes too (1 s at most): a
         * close with unread bytes would send a reset, which can discard the response before the
         * peer reads it.
         */
        private void closeGracefully(InputStream in) throws IOException {
            socket.shutdownOutput();
            socket.setSoTimeout(1000);
            try {
                while (in.read(input) >= 0) {
                    // what the peer still sends is not for this server
                }
            } catch (SocketTimeoutException e) {
                // the peer did not close in time: the socket's close may reset it
            }
        }
    }
}
