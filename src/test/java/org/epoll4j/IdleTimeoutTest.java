// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Connection.setIdleTimeout and ConnectionHandler.onIdle (#19). */
@Timeout(120)
class IdleTimeoutTest {
    /** Sets {@code kind}'s timeout as it opens; echoes; records each onIdle, then does what it is told. */
    private static class Watching implements ConnectionHandler {
        final BlockingQueue<Idle> idles = new LinkedBlockingQueue<>();
        final BlockingQueue<String> closes = new LinkedBlockingQueue<>();
        final Idle kind;
        final Duration timeout;

        Watching(Idle kind, Duration timeout) {
            this.kind = kind;
            this.timeout = timeout;
        }

        @Override
        public void onOpen(Connection connection) {
            connection.setIdleTimeout(kind, timeout);
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {
            connection.write(data);
        }

        @Override
        public void onIdle(Connection connection, Idle idle) {
            idles.add(idle);
        }

        @Override
        public void onClose(Connection connection, IOException cause) {
            closes.add(String.valueOf(cause));
        }
    }

    @Test
    void aReadIdleTimeoutPassesOnlyOnceInputStops() throws Exception {
        Watching watching = new Watching(Idle.READ, Duration.ofSeconds(2));
        try (LoopThread server = LoopThread.serve(watching); Socket client = EchoClient.connect(server.address())) {
            OutputStream out = client.getOutputStream();
            InputStream in = client.getInputStream();
            for (int i = 0; i < 100; i++) { // a second of input, a read every 10 ms: never 2 s without one
                out.write(i);
                assertEquals(i, in.read());
                Thread.sleep(10);
            }
            assertEquals(List.of(), List.copyOf(watching.idles), "not idle while reading");
            assertEquals(Idle.READ, watching.idles.poll(20, TimeUnit.SECONDS), "idle once input stops");
            assertEquals(Idle.READ, watching.idles.poll(20, TimeUnit.SECONDS), "and again after another timeout");
        }
    }

    @Test
    void aWriteIdleTimeoutPassesWhenThePeerStopsTakingOutput() throws Exception {
        Watching watching = new Watching(Idle.WRITE, Duration.ofMillis(300)) {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                connection.setOutputLimit(Long.MAX_VALUE);
                connection.write(ByteBuffer.allocate(32 << 20)); // more than the socket buffers take
            }
        };
        try (LoopThread server = LoopThread.serve(watching); Socket client = EchoClient.connect(server.address())) {
            client.getOutputStream().write(1); // and never reads
            assertEquals(Idle.WRITE, watching.idles.poll(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void aBothTimeoutIsPutOffByEitherReadsOrWrites() throws Exception {
        Watching watching = new Watching(Idle.BOTH, Duration.ofSeconds(2));
        try (LoopThread server = LoopThread.serve(watching); Socket client = EchoClient.connect(server.address())) {
            for (int i = 0; i < 100; i++) {
                client.getOutputStream().write(i);
                assertEquals(i, client.getInputStream().read());
                Thread.sleep(10);
            }
            assertEquals(List.of(), List.copyOf(watching.idles));
            assertEquals(Idle.BOTH, watching.idles.poll(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void byDefaultAnIdleConnectionIsClosed() throws Exception {
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.setIdleTimeout(Idle.READ, Duration.ofMillis(100));
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}
        };
        try (LoopThread server = LoopThread.serve(handler); Socket client = EchoClient.connect(server.address())) {
            assertEquals(-1, client.getInputStream().read(), "the server closed the idle connection");
        }
    }

    @Test
    void aClosingConnectionIsNotToldItIsIdle() throws Exception {
        // Found in review (#19): onIdle went on every timeout while the connection lingered
        // in its close, up to the close timeout: about 150 calls in 30 s at 200 ms.
        Watching watching = new Watching(Idle.READ, Duration.ofMillis(100)) {
            @Override
            public void onIdle(Connection connection, Idle idle) {
                super.onIdle(connection, idle);
                connection.close(); // lingers: the client never ends its output
            }
        };
        try (LoopThread server = LoopThread.serve(watching); Socket client = EchoClient.connect(server.address())) {
            assertEquals(Idle.READ, watching.idles.poll(20, TimeUnit.SECONDS));
            assertEquals(-1, client.getInputStream().read(), "FIN");
            Thread.sleep(600);
            assertEquals(List.of(), List.copyOf(watching.idles), "no onIdle while closing");
        }
    }

    @Test
    void aZeroTimeoutTakesTheTimeoutAway() throws Exception {
        Watching watching = new Watching(Idle.READ, Duration.ofMillis(200)) {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                connection.setIdleTimeout(Idle.READ, Duration.ZERO);
                connection.setIdleTimeout(Idle.WRITE, Duration.ofMillis(100)); // replaced at once, below
                connection.setIdleTimeout(Idle.WRITE, Duration.ZERO);
                connection.write(data);
            }
        };
        try (LoopThread server = LoopThread.serve(watching); Socket client = EchoClient.connect(server.address())) {
            client.getOutputStream().write(7);
            assertEquals(7, client.getInputStream().read());
            Thread.sleep(600);
            assertEquals(List.of(), List.copyOf(watching.idles), "no timeout left");
        }
    }

    @Tag("host") // not under emulation: see the "emulated" profile in pom.xml
    @Test
    void thousandsOfConnectionsWithTimeoutsEachPassOnceAndTheLoopHoldsOneTimerEach() throws Exception {
        int connections = 3000;
        AtomicInteger idle = new AtomicInteger();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.setIdleTimeout(Idle.READ, Duration.ofSeconds(3));
                connection.setIdleTimeout(Idle.BOTH, Duration.ofSeconds(3)); // the same timer for both
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}

            @Override
            public void onIdle(Connection connection, Idle kind) {
                if (kind == Idle.READ) {
                    idle.incrementAndGet();
                    connection.abort();
                }
            }
        };
        List<Socket> clients = new ArrayList<>();
        try (LoopThread server = LoopThread.serve(handler)) {
            try {
                for (int i = 0; i < connections; i++) {
                    clients.add(EchoClient.connect(server.address()));
                }
                Eventually.until("every connection open", () -> server.loop().metrics().connections() == connections);
                int timers = server.call(() -> server.loop().core().timers().size());
                assertTrue(timers <= connections + 16, "timers queued: " + timers);
                Eventually.until("every connection idle", () -> idle.get() == connections);
                Eventually.until("every connection closed", () -> server.loop().metrics().connections() == 0);
            } finally {
                for (Socket client : clients) {
                    client.close();
                }
            }
        }
    }

    @Test
    void readsWithAnIdleTimeoutAllocateNothingOnceWarm() throws Exception {
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.setIdleTimeout(Idle.READ, Duration.ofMillis(50)); // it runs, and queues again, often
                connection.setIdleTimeout(Idle.WRITE, Duration.ofHours(1));
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                connection.write(data);
            }

            @Override
            public void onIdle(Connection connection, Idle kind) {}
        };
        try (LoopThread loop = LoopThread.serve(handler); Socket client = EchoClient.connect(loop.address())) {
            byte[] message = new byte[64];
            EchoClient.roundTrips(client, message, 60_000);
            Thread.sleep(200); // idle: the timer runs and queues itself again, warming that path too
            EchoClient.roundTrips(client, message, 20_000);
            long before = loop.allocatedBytes();
            int trips = EchoClient.roundTrips(client, message, 20_000);
            Thread.sleep(200);
            long perTrip = (loop.allocatedBytes() - before) / trips;
            assertTrue(perTrip < 8, "bytes allocated per round trip on the loop thread: " + perTrip);
        }
    }
}
