// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client that writes without reading meets backpressure: the server stops reading
 * it above the high-water mark instead of buffering without bound, and resumes once
 * the client reads, losing and reordering nothing.
 */
class BackpressureTest {
    private static final long TOTAL = 50L * 1024 * 1024;
    /** The default high-water mark, plus the one 64 KiB read whose echo crosses it. */
    private static final long QUEUE_BOUND = 64 * 1024 + 64 * 1024;

    @Test
    @Timeout(120)
    void aClientThatDoesNotReadIsPausedAndThenGetsEveryByteInOrder() throws Exception {
        Echo echo = new Echo();
        try (LoopThread server = LoopThread.serve(echo); Socket client = EchoClient.connect(server.address())) {
            AtomicLong written = new AtomicLong();
            AtomicReference<IOException> writeFailure = new AtomicReference<>();
            Thread writer = Thread.ofPlatform().name("flood").start(() -> {
                try {
                    write(client.getOutputStream(), written);
                } catch (IOException e) {
                    writeFailure.set(e);
                }
            });

            Eventually.until("the server pauses reading the client", () -> echo.pauses.get() > 0);
            awaitStall(written);
            assertTrue(echo.maxQueuedBytes.get() <= QUEUE_BOUND,
                    "queued " + echo.maxQueuedBytes.get() + " bytes while the client did not read");

            long received = readAndCheck(client.getInputStream());
            writer.join(EchoClient.READ_TIMEOUT_MILLIS);
            assertEquals(null, writeFailure.get(), "writing failed");
            assertEquals(TOTAL, received);
            assertTrue(echo.maxQueuedBytes.get() <= QUEUE_BOUND,
                    "queued " + echo.maxQueuedBytes.get() + " bytes at most; the bound is " + QUEUE_BOUND);
            assertTrue(echo.pauses.get() >= 1);
        }
    }

    /** Waits (up to a few seconds) until the writer's progress stops: every buffer on the way is full. */
    private static void awaitStall(AtomicLong written) throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 50 && written.get() != last && written.get() < TOTAL; i++) {
            last = written.get();
            Thread.sleep(100);
        }
    }

    private static void write(OutputStream out, AtomicLong written) throws IOException {
        byte[] chunk = new byte[32 * 1024];
        for (long at = 0; at < TOTAL; at += chunk.length) {
            for (int i = 0; i < chunk.length; i++) {
                chunk[i] = byteAt(at + i);
            }
            out.write(chunk);
            written.set(at + chunk.length);
        }
        out.flush();
    }

    /** Reads everything the server echoes, checking each byte is the one sent at that offset. */
    private static long readAndCheck(InputStream in) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long at = 0;
        while (at < TOTAL) {
            int n = in.read(buffer);
            if (n < 0) {
                break;
            }
            for (int i = 0; i < n; i++) {
                if (buffer[i] != byteAt(at + i)) {
                    throw new AssertionError("byte " + (at + i) + " is " + buffer[i] + ", sent " + byteAt(at + i));
                }
            }
            at += n;
        }
        return at;
    }

    /** The byte sent at {@code offset}: a hash of it, so a lost or reordered block shows. */
    private static byte byteAt(long offset) {
        return (byte) ((offset * 0x9E3779B97F4A7C15L) >>> 56);
    }
}
