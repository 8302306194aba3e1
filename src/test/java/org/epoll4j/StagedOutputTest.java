// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Connection.stage: bytes staged by a handler call go out together when it returns (#19). */
@Timeout(60)
class StagedOutputTest {
    @Test
    void stagedAndWrittenBytesArriveInTheOrderTheHandlerGaveThem() throws Exception {
        ConnectionHandler handler = (connection, data) -> {
            data.position(data.limit());
            connection.stage(ascii("one "));
            connection.write(ascii("two "));
            connection.stage(ascii("three "));
            connection.stage(ByteBuffer.allocateDirect(40_000).put(0, (byte) '[').put(39_999, (byte) ']'));
            connection.write(ascii(" four\n"));
        };
        try (LoopThread server = LoopThread.serve(handler); Socket client = EchoClient.connect(server.address())) {
            client.getOutputStream().write(1);
            byte[] reply = client.getInputStream().readNBytes(4 + 4 + 6 + 40_000 + 6);
            String text = new String(reply, StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("one two three ["), text.substring(0, 20));
            assertTrue(text.endsWith("] four\n"), text.substring(text.length() - 10));
        }
    }

    @Test
    void bytesStagedForAnotherConnectionOrOutsideAHandlerGoOutAtTheEndOfTheTurn() throws Exception {
        AtomicReference<Connection> first = new AtomicReference<>();
        ConnectionHandler handler = (connection, data) -> {
            data.position(data.limit());
            if (first.compareAndSet(null, connection)) {
                return;
            }
            first.get().stage(ascii("from the other connection\n")); // staged for another one
            connection.loop().execute(() -> connection.stage(ascii("from a task\n")));
        };
        try (LoopThread server = LoopThread.serve(handler); Socket a = EchoClient.connect(server.address());
             Socket b = EchoClient.connect(server.address())) {
            a.getOutputStream().write(1);
            Eventually.until("the first is known", () -> first.get() != null);
            b.getOutputStream().write(1);
            assertEquals("from the other connection\n", read(a, 26));
            assertEquals("from a task\n", read(b, 12));
        }
    }

    @Test
    void stagedBytesGoOutBeforeTheFinOfACloseInTheSameCall() throws Exception {
        ConnectionHandler handler = (connection, data) -> {
            data.position(data.limit());
            connection.stage(ascii("bye\n"));
            connection.close();
        };
        try (LoopThread server = LoopThread.serve(handler); Socket client = EchoClient.connect(server.address())) {
            client.getOutputStream().write(1);
            assertEquals("bye\n", read(client, 4));
            assertEquals(-1, client.getInputStream().read());
        }
    }

    @Test
    void stagingCountsAgainstTheOutputLimitAndIsRefusedOnceClosed() throws Exception {
        CompletableFuture<IOException> cause = new CompletableFuture<>();
        CompletableFuture<Boolean> afterClose = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                connection.setOutputLimit(100_000);
                data.position(data.limit());
                for (int i = 0; i < 20 && connection.stage(ByteBuffer.allocate(10_000)); i++) {
                    // the eleventh goes over the limit: the connection resets
                }
                afterClose.complete(connection.stage(ascii("late")));
            }

            @Override
            public void onClose(Connection connection, IOException failure) {
                cause.complete(failure);
            }
        };
        try (LoopThread server = LoopThread.serve(handler); Socket client = EchoClient.connect(server.address())) {
            client.getOutputStream().write(1);
            assertTrue(cause.get(20, TimeUnit.SECONDS).getMessage().startsWith("output limit exceeded"));
            assertFalse(afterClose.get(20, TimeUnit.SECONDS), "a closed connection takes nothing staged");
        }
    }

    @Test
    void stagingFromAnotherThreadThrowsWrongThreadException() throws Exception {
        CompletableFuture<Connection> opened = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                opened.complete(connection);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}
        };
        try (LoopThread server = LoopThread.serve(handler); Socket client = EchoClient.connect(server.address())) {
            Connection connection = opened.get(20, TimeUnit.SECONDS);
            assertThrows(WrongThreadException.class, () -> connection.stage(ascii("x")));
        }
    }

    @Test
    @Timeout(120)
    void stagingAllocatesNothingOnceWarm() throws Exception {
        ByteBuffer reply = ByteBuffer.allocateDirect(64);
        ConnectionHandler handler = (connection, data) -> {
            connection.stage(data);
            connection.stage(reply.clear().limit(0)); // an empty one too
        };
        try (LoopThread loop = LoopThread.serve(handler); Socket client = EchoClient.connect(loop.address())) {
            long perTrip = loop.bytesPerRoundTrip(client);
            assertTrue(perTrip < 8, "bytes allocated per round trip on the loop thread: " + perTrip);
        }
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String read(Socket socket, int n) throws IOException {
        return new String(socket.getInputStream().readNBytes(n), StandardCharsets.US_ASCII);
    }
}
