// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pattern of the README: onData copies the request and hands it to a virtual thread,
 * which does the blocking work and writes the response from its own thread.
 */
@Timeout(60)
class VirtualThreadTest {
    /**
     * Answers each line with the line in upper case, worked out on a virtual thread. The
     * client sends a line only once the last is answered, so one virtual thread at a time
     * writes to a connection: the order of its responses is the order of its requests.
     */
    private static final class OffLoop implements ConnectionHandler {
        @Override
        public void onOpen(Connection connection) {
            connection.attach(new StringBuilder());
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {
            StringBuilder line = (StringBuilder) connection.attachment();
            while (data.hasRemaining()) {
                char c = (char) data.get(); // data is the loop's: copy it before leaving the loop thread
                line.append(c);
                if (c == '\n') {
                    String request = line.toString();
                    line.setLength(0);
                    Thread.startVirtualThread(() -> {
                        sleepQuietly(); // the blocking work: a database, a file, another service
                        byte[] response = request.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
                        connection.write(ByteBuffer.wrap(response));
                    });
                }
            }
        }

        private static void sleepQuietly() {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void requestsHandedToVirtualThreadsAreAnsweredOnEveryConnection() throws Exception {
        int clients = 50;
        int requests = 100;
        try (LoopThread server = LoopThread.serve(new OffLoop());
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> answered = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                answered.add(pool.submit(() -> {
                    try (Socket socket = EchoClient.connect(server.address())) {
                        OutputStream out = socket.getOutputStream();
                        BufferedReader in = new BufferedReader(
                                new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                        for (int r = 0; r < requests; r++) {
                            String line = "client " + client + " request " + r;
                            out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
                            assertEquals(line.toUpperCase(Locale.ROOT), in.readLine());
                        }
                        return requests;
                    }
                }));
            }
            int total = 0;
            for (Future<Integer> future : answered) {
                total += future.get();
            }
            assertEquals(clients * requests, total);
        }
    }
}
