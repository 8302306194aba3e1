// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.epoll4j.epoll.ErrnoException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** EventLoop.connect against a plain java.net.ServerSocket: opened, used both ways, or refused once. */
class ConnectTest {
    @Test
    @Timeout(30)
    void aConnectionOpensThenCarriesDataBothWays() throws Exception {
        Client client = new Client("ping");
        try (ServerSocket listener = listen(); LoopThread loop = LoopThread.start()) {
            loop.call(() -> loop.loop().connect(address(listener), client));
            try (Socket peer = listener.accept()) {
                peer.setSoTimeout(EchoClient.READ_TIMEOUT_MILLIS);
                assertEquals("ping", read(peer, 4));
                peer.getOutputStream().write(ascii("pong"));
                Eventually.until("the client receives pong", () -> client.received.toString().equals("pong"));
            } // the peer closes: end of input, and by default the connection closes
            Echo.Closed closed = client.closes.poll(20, TimeUnit.SECONDS);
            assertNotNull(closed, "onClose ran");
            assertNull(closed.cause(), "an orderly close");
            assertEquals(1, client.opened.get());
        }
    }

    @Test
    @Timeout(30)
    void writesBeforeTheConnectionOpensAreSentOnceItDoes() throws Exception {
        Client client = new Client("!");
        try (ServerSocket listener = listen(); LoopThread loop = LoopThread.start()) {
            loop.call(() -> {
                Connection connection = loop.loop().connect(address(listener), client);
                connection.write(ByteBuffer.wrap(ascii("early")));
                return null;
            });
            try (Socket peer = listener.accept()) {
                peer.setSoTimeout(EchoClient.READ_TIMEOUT_MILLIS);
                assertEquals("early!", read(peer, 6));
            }
        }
    }

    @Test
    @Timeout(30)
    void connectingToAClosedPortFailsOnceWithEConnRefusedAndNeverOpens() throws Exception {
        InetSocketAddress closedPort;
        try (ServerSocket listener = listen()) {
            closedPort = address(listener);
        }
        Client client = new Client("never sent");
        try (LoopThread loop = LoopThread.start()) {
            loop.call(() -> loop.loop().connect(closedPort, client));
            Echo.Closed closed = client.closes.poll(20, TimeUnit.SECONDS);
            assertNotNull(closed, "onClose ran");
            ErrnoException error = assertInstanceOf(ErrnoException.class, closed.cause());
            assertEquals("ECONNREFUSED", error.errnoName(), error.getMessage());

            // Let the loop turn a few times (a timer, then a task): a second onClose would show.
            CountDownLatch later = new CountDownLatch(1);
            loop.call(() -> loop.loop().schedule(Duration.ofMillis(50), later::countDown));
            later.await(20, TimeUnit.SECONDS);
            loop.call(() -> null);
            assertEquals(0, client.closes.size(), "onClose ran again: " + client.closes);
            assertEquals(0, client.opened.get(), "onOpen ran");
        }
    }

    @Test
    @Timeout(30)
    void readingPausedBeforeTheConnectionOpensStaysPausedUntilResumed() throws Exception {
        // Guards a bug: completing the connect armed EPOLLIN whatever pauseReading had said.
        Client client = new Client("hi");
        try (ServerSocket listener = listen(); LoopThread loop = LoopThread.start()) {
            Connection connection = loop.call(() -> {
                Connection connecting = loop.loop().connect(address(listener), client);
                connecting.pauseReading();
                return connecting;
            });
            try (Socket peer = listener.accept()) {
                peer.setSoTimeout(EchoClient.READ_TIMEOUT_MILLIS);
                assertEquals("hi", read(peer, 2)); // the connection is open
                peer.getOutputStream().write(ascii("data"));

                // Let the loop turn while the data waits in the kernel: none may be read.
                CountDownLatch later = new CountDownLatch(1);
                loop.call(() -> loop.loop().schedule(Duration.ofMillis(100), later::countDown));
                later.await(20, TimeUnit.SECONDS);
                assertEquals("", loop.call(client.received::toString));
                assertTrue(loop.call(connection::isReadingPaused));

                loop.call(() -> {
                    connection.resumeReading();
                    return null;
                });
                Eventually.until("the data arrives once reading resumes",
                        () -> client.received.toString().equals("data"));
            }
        }
    }

    /** Writes its greeting when opened and keeps what it receives; counts like {@link Echo}. */
    private static final class Client extends Echo {
        final StringBuffer received = new StringBuffer();
        private final String greeting;

        Client(String greeting) {
            this.greeting = greeting;
        }

        @Override
        public void onOpen(Connection connection) {
            super.onOpen(connection);
            connection.write(ByteBuffer.wrap(ascii(greeting)));
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {
            received.append(StandardCharsets.US_ASCII.decode(data));
        }
    }

    private static ServerSocket listen() throws IOException {
        return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    private static InetSocketAddress address(ServerSocket listener) {
        return new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
    }

    private static String read(Socket peer, int length) throws IOException {
        return new String(EchoClient.readFully(peer.getInputStream(), length, new Random(0)), StandardCharsets.US_ASCII);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
