// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the loop shares its turns between connections with input (issue #21): the loop is
 * held in a task while the clients write, so that everything they wrote waits for the
 * same wait, and the handler notes the turn of each call. The clients are Unix sockets,
 * whose write makes the server's end readable before it returns (on loopback TCP the
 * kernel may defer that), so the order in which the fds became ready is the test's.
 */
@Timeout(120)
class FairnessTest {
    private static final byte PING = 'P';
    /**
     * The most connections a turn may serve. When one wait takes every ready connection, those
     * served last are polled again before their peers answer and fall behind all the others:
     * at 1,000 connections their round trips took two turns (bench/RESULTS.md, "Tail latency").
     */
    private static final int MOST_PER_TURN = 256;

    @TempDir
    Path directory;

    @Test
    void connectionsAreServedInTheOrderTheyBecameReady256ATurn() throws Exception {
        int clients = 2 * MOST_PER_TURN + MOST_PER_TURN / 2;
        List<long[]> served = new ArrayList<>(); // {turn, client}: the loop thread's
        CountDownLatch allServed = new CountDownLatch(clients);
        List<SocketChannel> sockets = new ArrayList<>();
        try (LoopThread loop = LoopThread.start()) {
            UnixDomainSocketAddress address = listen(loop, (connection, data) -> {
                served.add(new long[] {loop.loop().metrics().turns(), data.getShort(data.position())});
                data.position(data.limit());
                allServed.countDown();
            });
            try {
                for (int i = 0; i < clients; i++) {
                    sockets.add(SocketChannel.open(address));
                }
                Eventually.until("the loop has every connection",
                        () -> loop.call(() -> loop.loop().metrics().connections()) == clients);
                long heldIn = hold(loop, () -> {
                    for (int i = 0; i < clients; i++) {
                        write(sockets.get(i), ByteBuffer.allocate(2).putShort(0, (short) i));
                    }
                });
                // A latch, not loop.call: a task's wake-up would be one more ready fd in a turn.
                assertTrue(allServed.await(20, TimeUnit.SECONDS), allServed.getCount() + " clients not served");
                List<long[]> calls = loop.call(() -> List.copyOf(served));

                assertEquals(clients, calls.size(), "one call a client");
                for (int i = 0; i < clients; i++) {
                    long[] call = calls.get(i);
                    assertEquals(i, call[1], "call " + i + " served client " + call[1] + ", out of the order of readiness");
                    assertEquals(heldIn + 1 + i / MOST_PER_TURN, call[0], "the turn of client " + i
                            + " (the loop was held in turn " + heldIn + "; " + MOST_PER_TURN + " clients a turn)");
                }
            } finally {
                for (SocketChannel socket : sockets) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void aConnectionThatNeverRunsDryIsReadOnceATurnAndDoesNotKeepAnotherWaiting() throws Exception {
        long[] floodReads = {0}; // the loop thread's
        long[] pingServed = {0, 0}; // {turn, flood reads before it}
        try (LoopThread loop = LoopThread.start()) {
            UnixDomainSocketAddress address = listen(loop, (connection, data) -> {
                if (data.get(data.position()) == PING) {
                    pingServed[0] = loop.loop().metrics().turns();
                    pingServed[1] = floodReads[0];
                    connection.write(data);
                } else {
                    floodReads[0]++;
                    data.position(data.limit());
                }
            });
            try (SocketChannel flood = SocketChannel.open(address); SocketChannel ping = SocketChannel.open(address)) {
                AtomicBoolean flooding = new AtomicBoolean(true);
                Thread writer = Thread.ofPlatform().name("flood").start(() -> flood(flood, flooding));
                try {
                    Eventually.until("the flood is read", () -> loop.call(() -> floodReads[0]) > 100);
                    ByteBuffer echo = ByteBuffer.allocate(1);
                    for (int i = 0; i < 50; i++) {
                        long[] readsBefore = new long[1];
                        long heldIn = hold(loop, () -> {
                            readsBefore[0] = floodReads[0]; // held, the loop reads nothing
                            write(ping, ByteBuffer.wrap(new byte[] {PING}));
                        });
                        echo.clear();
                        assertEquals(1, ping.read(echo), "the ping's echo");
                        assertEquals(PING, echo.get(0), "the ping's echo");
                        long[] at = loop.call(pingServed::clone);
                        // The flood and the ping are both ready at the first wait after the hold:
                        // the ping is answered there, after at most one read of the flood.
                        assertEquals(heldIn + 1, at[0], "the turn of the ping (the loop was held in turn " + heldIn + ")");
                        assertTrue(at[1] - readsBefore[0] <= 1, (at[1] - readsBefore[0]) + " flood reads before the ping");
                    }
                } finally {
                    flooding.set(false);
                    flood.shutdownOutput();
                    writer.join(TimeUnit.SECONDS.toMillis(20));
                }
            }
        }
    }

    private UnixDomainSocketAddress listen(LoopThread loop, ConnectionHandler handler) {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(directory.resolve("fair.sock"));
        loop.call(() -> loop.loop().listen(address, handler));
        return address;
    }

    private static void write(SocketChannel socket, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            socket.write(bytes);
        }
    }

    /** Writes to {@code socket} until {@code flooding} ends or the socket fails. */
    private static void flood(SocketChannel socket, AtomicBoolean flooding) {
        try {
            while (flooding.get()) {
                write(socket, ByteBuffer.allocate(64 * 1024));
            }
        } catch (IOException e) {
            // the test closed the socket: the flood ends
        }
    }

    private interface Step {
        void run() throws IOException;
    }

    /**
     * Holds the loop thread in a task while {@code step} runs on this thread, then lets it
     * go on; returns the turn the loop was held in. The loop may run a task before the
     * wake-up that {@code execute} sends for it reaches the loop's eventfd; had it reached it
     * during the hold, the eventfd would be the first ready fd after it. So the first task
     * waits until {@code execute} has returned, and queues the holding task from the loop,
     * which sends no wake-up: the wait before it takes the eventfd if it is still ready.
     */
    private static long hold(LoopThread loop, Step step) throws Exception {
        CountDownLatch woken = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        long[] turn = new long[1];
        loop.loop().execute(() -> {
            await(woken);
            loop.loop().execute(() -> {
                turn[0] = loop.loop().metrics().turns();
                held.countDown();
                await(release);
            });
        });
        woken.countDown();
        try {
            assertTrue(held.await(20, TimeUnit.SECONDS), "the loop ran the holding task");
            step.run();
        } finally {
            release.countDown();
        }
        return turn[0];
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
