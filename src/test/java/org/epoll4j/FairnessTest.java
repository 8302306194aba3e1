// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How the loop shares its turns between connections with input (issue #21): the loop is
 * held in a task while the clients write, so that everything they wrote waits for the
 * same wait, and the handler notes the turn of each call.
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

    @Test
    void aTurnServesAtMost256ConnectionsAndTheOthersAreServedInTheNextTurns() throws Exception {
        int clients = 2 * MOST_PER_TURN + MOST_PER_TURN / 2;
        List<long[]> served = new ArrayList<>(); // {turn, client}: the loop thread's
        EventLoop[] loopOf = new EventLoop[1];
        List<Socket> sockets = new ArrayList<>();
        try (LoopThread loop = LoopThread.serve((connection, data) -> {
            served.add(new long[] {loopOf[0].metrics().turns(), data.getShort(data.position())});
            data.position(data.limit());
        })) {
            loopOf[0] = loop.loop();
            try {
                for (int i = 0; i < clients; i++) {
                    sockets.add(EchoClient.connect(loop.address()));
                }
                Eventually.until("the loop has every connection",
                        () -> loop.call(() -> loop.loop().metrics().connections()) == clients);
                long heldIn = hold(loop, () -> {
                    for (int i = 0; i < clients; i++) {
                        sockets.get(i).getOutputStream().write(new byte[] {(byte) (i >> 8), (byte) i});
                    }
                });
                Eventually.until("every client is served", () -> loop.call(served::size) == clients);
                List<long[]> calls = loop.call(() -> List.copyOf(served));

                Map<Long, Integer> perTurn = new TreeMap<>();
                BitSet seen = new BitSet();
                for (long[] call : calls) {
                    assertTrue(call[0] > heldIn, "served in turn " + call[0] + ", before the hold of turn " + heldIn);
                    perTurn.merge(call[0], 1, Integer::sum);
                    seen.set((int) call[1]);
                }
                assertEquals(clients, seen.cardinality(), "each client once: " + seen);
                perTurn.forEach((turn, count) -> assertTrue(count <= MOST_PER_TURN,
                        "turn " + turn + " served " + count + " connections, more than " + MOST_PER_TURN));
                int fewest = (clients + MOST_PER_TURN - 1) / MOST_PER_TURN;
                assertTrue(perTurn.size() >= fewest, "all " + clients + " in " + perTurn.size() + " turn(s): " + perTurn);
            } finally {
                for (Socket socket : sockets) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void aConnectionThatNeverRunsDryIsReadOnceATurnAndDoesNotKeepAnotherWaiting() throws Exception {
        long[] floodReads = {0}; // the loop thread's
        long[] pingServed = {0, 0}; // {turn, flood reads before it}
        EventLoop[] loopOf = new EventLoop[1];
        try (LoopThread loop = LoopThread.serve((connection, data) -> {
            if (data.get(data.position()) == PING) {
                pingServed[0] = loopOf[0].metrics().turns();
                pingServed[1] = floodReads[0];
                connection.write(data);
            } else {
                floodReads[0]++;
                data.position(data.limit());
            }
        }); Socket flood = EchoClient.connect(loop.address()); Socket ping = EchoClient.connect(loop.address())) {
            loopOf[0] = loop.loop();
            AtomicBoolean flooding = new AtomicBoolean(true);
            Thread writer = Thread.ofPlatform().name("flood").start(() -> flood(flood, flooding));
            try {
                Eventually.until("the flood is read", () -> loop.call(() -> floodReads[0]) > 100);
                InputStream in = ping.getInputStream();
                OutputStream out = ping.getOutputStream();
                for (int i = 0; i < 50; i++) {
                    long[] readsBefore = new long[1];
                    long heldIn = hold(loop, () -> {
                        readsBefore[0] = floodReads[0]; // held, the loop reads nothing
                        out.write(PING);
                    });
                    assertEquals(PING, in.read(), "the ping's echo");
                    long[] at = loop.call(pingServed::clone);
                    // The flood and the ping both wait for the first wait after the hold; each
                    // is read once there, in the kernel's order (a second turn for the ping in
                    // case its bytes reached the socket late).
                    assertTrue(at[0] - heldIn <= 2, "the ping waited " + (at[0] - heldIn) + " turns");
                    assertTrue(at[1] - readsBefore[0] <= at[0] - heldIn,
                            (at[1] - readsBefore[0]) + " flood reads in " + (at[0] - heldIn) + " turn(s) before the ping");
                }
            } finally {
                flooding.set(false);
                flood.shutdownOutput();
                writer.join(TimeUnit.SECONDS.toMillis(20));
            }
        }
    }

    /** Writes to {@code socket} until {@code flooding} ends or the socket fails. */
    private static void flood(Socket socket, AtomicBoolean flooding) {
        byte[] chunk = new byte[64 * 1024];
        try {
            OutputStream out = socket.getOutputStream();
            while (flooding.get()) {
                out.write(chunk);
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
     * go on; returns the turn the loop was held in.
     */
    private static long hold(LoopThread loop, Step step) throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        long[] turn = new long[1];
        loop.loop().execute(() -> {
            turn[0] = loop.loop().metrics().turns();
            held.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            assertTrue(held.await(20, TimeUnit.SECONDS), "the loop ran the holding task");
            step.run();
        } finally {
            release.countDown();
        }
        return turn[0];
    }
}
