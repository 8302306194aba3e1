// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import org.epoll4j.loop.ChunkPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Queued output lives in malloc'd chunks: a burst is freed once it has gone out. */
@Timeout(60)
class ChunkPoolTest {
    private static final int BURST = 16 * 1024 * 1024;

    /** Writes BURST bytes (byte i is i % 251) to each client as it connects. */
    private static final ConnectionHandler BURSTS = new ConnectionHandler() {
        @Override
        public void onOpen(Connection connection) {
            byte[] piece = new byte[64 * 1024];
            for (int offset = 0; offset < BURST; offset += piece.length) {
                for (int i = 0; i < piece.length; i++) {
                    piece[i] = (byte) ((offset + i) % 251);
                }
                connection.write(ByteBuffer.wrap(piece));
            }
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {}
    };

    @Test
    void aBurstOfQueuedOutputIsFreedOnceItHasGoneOut() throws Exception {
        try (LoopThread server = LoopThread.serve(BURSTS);
             Socket client = new Socket(server.address().getAddress(), server.address().getPort())) {
            ChunkPool chunks = server.call(() -> server.loop().core().io().chunks);
            Eventually.until("the burst is queued", () -> server.call(chunks::outstanding) > ChunkPool.MAX_POOLED);

            byte[] received = new byte[BURST];
            new DataInputStream(client.getInputStream()).readFully(received);
            byte[] expected = new byte[BURST];
            for (int i = 0; i < BURST; i++) {
                expected[i] = (byte) (i % 251);
            }
            assertArrayEquals(expected, received);

            Eventually.until("every chunk is back", () -> server.call(chunks::outstanding) == 0);
            int pooled = server.call(chunks::pooled);
            assertTrue(pooled <= ChunkPool.MAX_POOLED, "chunks kept after the burst: " + pooled);
        }
    }

    @Test
    void closingTheLoopWithOutputQueuedReturnsEveryChunk() throws Exception {
        LoopThread server = LoopThread.serve(BURSTS);
        try (Socket client = new Socket(server.address().getAddress(), server.address().getPort())) {
            ChunkPool chunks = server.call(() -> server.loop().core().io().chunks);
            Eventually.until("the burst is queued", () -> server.call(chunks::outstanding) > 0);
        } finally {
            server.close(); // ChunkPool.close throws if a chunk was not given back
        }
        assertEquals(0, server.takeReported().size());
    }
}
