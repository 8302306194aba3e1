// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** HandlerFactory: a handler per connection, and per loop in a group (#19). */
@Timeout(60)
class HandlerFactoryTest {
    /** Counts the bytes of its connection, and answers each read with the count so far. */
    private static final class Counter implements ConnectionHandler {
        private long bytes;

        @Override
        public void onData(Connection connection, ByteBuffer data) {
            bytes += data.remaining();
            data.position(data.limit());
            connection.write(ByteBuffer.wrap((bytes + "\n").getBytes(StandardCharsets.US_ASCII)));
        }
    }

    @Test
    void eachConnectionGetsAHandlerOfItsOwnWhichSeesItsPeer() throws Exception {
        List<InetSocketAddress> peers = new CopyOnWriteArrayList<>();
        HandlerFactory handlers = connection -> {
            peers.add((InetSocketAddress) connection.remoteAddress());
            return new Counter();
        };
        try (LoopThread loop = LoopThread.start()) {
            InetSocketAddress address = loop.call(() -> (InetSocketAddress) loop.loop()
                    .listen(LoopThread.LOOPBACK, handlers).localAddress());
            try (Socket a = EchoClient.connect(address); Socket b = EchoClient.connect(address)) {
                a.getOutputStream().write(new byte[5]);
                assertEquals("5", line(a));
                b.getOutputStream().write(new byte[3]);
                assertEquals("3", line(b), "b's handler counts b's bytes only");
                a.getOutputStream().write(new byte[2]);
                assertEquals("7", line(a));
                assertEquals(List.of(a.getLocalSocketAddress(), b.getLocalSocketAddress()), peers);
            }
        }
    }

    @Test
    void aFactoryThatThrowsOrMakesNullResetsTheConnectionAndIsReported() throws Exception {
        List<String> made = new CopyOnWriteArrayList<>();
        HandlerFactory handlers = connection -> {
            made.add("asked");
            if (made.size() == 1) {
                throw new IllegalStateException("the factory's bug");
            }
            return made.size() == 2 ? null : new Counter();
        };
        try (LoopThread loop = LoopThread.start()) {
            InetSocketAddress address = loop.call(() -> (InetSocketAddress) loop.loop()
                    .listen(LoopThread.LOOPBACK, handlers).localAddress());
            for (int i = 0; i < 2; i++) {
                try (Socket refused = EchoClient.connect(address)) {
                    assertTrue(EchoClient.hasEnded(refused), "connection " + i + " ends");
                } catch (SocketException e) {
                    // reset before the client's own set-up was done: ended all the same
                }
            }
            try (Socket served = EchoClient.connect(address)) {
                served.getOutputStream().write(1);
                assertEquals("1", line(served), "the loop goes on");
            }
            List<Throwable> reported = loop.takeReported();
            assertEquals(2, reported.size(), "reported: " + reported);
            assertInstanceOf(IllegalStateException.class, reported.get(0));
            assertInstanceOf(NullPointerException.class, reported.get(1));
        }
    }

    @Test
    void aFactoryThatClosesItsConnectionGetsNoOnOpen() throws Exception {
        // Found in review (#19): the handler made got onOpen on a connection the factory had
        // already aborted (and then no onClose), or closed.
        List<String> calls = new CopyOnWriteArrayList<>();
        HandlerFactory handlers = connection -> {
            if (calls.isEmpty()) {
                connection.abort();
            } else {
                connection.close();
            }
            calls.add("made");
            return new ConnectionHandler() {
                @Override
                public void onOpen(Connection connection) {
                    calls.add("onOpen");
                }

                @Override
                public void onData(Connection connection, ByteBuffer data) {}
            };
        };
        try (LoopThread loop = LoopThread.start()) {
            InetSocketAddress address = loop.call(() -> (InetSocketAddress) loop.loop()
                    .listen(LoopThread.LOOPBACK, handlers).localAddress());
            for (int i = 0; i < 2; i++) {
                try (Socket client = EchoClient.connect(address)) {
                    assertTrue(EchoClient.hasEnded(client));
                } catch (SocketException e) {
                    // reset as the client set it up: ended all the same
                }
            }
            Eventually.until("both made", () -> calls.size() >= 2);
            loop.call(() -> null);
            assertEquals(List.of("made", "made"), calls);
        }
    }

    @ParameterizedTest
    @EnumSource(EventLoopGroup.Sharing.class)
    void aGroupMakesAFactoryPerLoopOnItsThreadAndItsConnectionsShareIt(EventLoopGroup.Sharing sharing)
            throws Exception {
        Map<Thread, Object> perLoop = new ConcurrentHashMap<>();
        Map<Connection, Object> seen = new ConcurrentHashMap<>();
        try (EventLoopGroup group = EventLoopGroup.open(2)) {
            Server server = group.listen(LoopThread.LOOPBACK, loop -> {
                assertTrue(loop.inLoop(), "on the loop it is given");
                Object state = new Object();
                assertSame(null, perLoop.put(Thread.currentThread(), state), "once per loop");
                return connection -> {
                    seen.put(connection, state);
                    assertSame(state, perLoop.get(Thread.currentThread()), "on the loop whose factory it is");
                    return new Counter();
                };
            }, sharing);
            assertEquals(2, perLoop.size(), "a factory per loop");
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    Socket client = EchoClient.connect((InetSocketAddress) server.localAddress());
                    clients.add(client);
                    client.getOutputStream().write(1);
                    assertEquals("1", line(client));
                }
            } finally {
                for (Socket client : clients) {
                    client.close();
                }
            }
            assertEquals(20, seen.size());
            assertTrue(seen.entrySet().stream().allMatch(e -> perLoop.containsValue(e.getValue())));
        }
    }

    private static String line(Socket socket) throws Exception {
        StringBuilder line = new StringBuilder();
        for (int c; (c = socket.getInputStream().read()) != '\n'; ) {
            if (c < 0) {
                throw new AssertionError("end of stream after '" + line + "'");
            }
            line.append((char) c);
        }
        return line.toString();
    }
}
