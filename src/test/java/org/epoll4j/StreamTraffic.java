// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Clients of an echo server over TCP or a Unix domain socket, all at once: each sends a
 * pseudo-random byte stream in writes of varying sizes (some of a MiB, which the server
 * cannot send back at once and queues) while it reads the echo, checks every byte, in
 * order, and then that the server ends the stream once it has echoed the client's. A test
 * fixture: blocking {@link SocketChannel}s, independent of the library.
 *
 * @param clients     how many clients run at once, each on a thread of its own
 * @param connections how many connections each client makes, one after the other
 * @param bytes       how many bytes each connection sends and expects back
 * @param seed        the seed of the bytes and the sizes
 */
record StreamTraffic(int clients, int connections, int bytes, long seed) {
    /** Sizes of writes and reads: mostly small, some up to 64 KiB, a few of 1 MiB. */
    private static int size(Random random, int left) {
        int roll = random.nextInt(100);
        int size = roll < 60 ? 1 + random.nextInt(4096) : roll < 95 ? 1 + random.nextInt(65536)
                : 1 + random.nextInt(1 << 20);
        return Math.min(size, left);
    }

    /**
     * Runs every client against {@code server}; returns once each has had all of its bytes
     * back. Fails with what each client sent and received if any check fails, or if they
     * have not all finished within {@code seconds}; their sockets are closed either way.
     */
    void run(SocketAddress server, long seconds) throws Exception {
        Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
        List<AtomicLong[]> progress = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            progress.add(new AtomicLong[] {new AtomicLong(), new AtomicLong()});
        }
        try {
            ClientThreads.run("stream client", clients, seconds, client -> {
                for (int i = 0; i < connections; i++) {
                    echo(server, new Random(seed * 1_000_003L + client * 1009L + i), open, progress.get(client));
                }
            }, () -> report(progress));
        } finally {
            for (SocketChannel channel : open) {
                channel.close(); // ends a client that still waits
            }
        }
    }

    private String report(List<AtomicLong[]> progress) {
        StringBuilder report = new StringBuilder("per client, bytes sent/received of " + connections + " x "
                + bytes + ":");
        for (AtomicLong[] counts : progress) {
            report.append(' ').append(counts[0]).append('/').append(counts[1]);
        }
        return report.toString();
    }

    /** One connection: sends {@code bytes} from another thread, reads them back here, checks them. */
    private void echo(SocketAddress server, Random random, Set<SocketChannel> open, AtomicLong[] progress)
            throws Exception {
        byte[] payload = new byte[bytes];
        random.nextBytes(payload);
        try (SocketChannel channel = SocketChannel.open(server)) {
            open.add(channel);
            if (!(server instanceof UnixDomainSocketAddress)) {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            Random writes = new Random(random.nextLong());
            FutureTask<Void> writer = new FutureTask<>(() -> {
                write(channel, payload, writes, progress[0]);
                return null;
            });
            Thread.ofVirtual().name("stream-writer").start(writer);
            read(channel, payload, random, progress[1]);
            writer.get();
            open.remove(channel);
        }
    }

    private static void write(SocketChannel channel, byte[] payload, Random random, AtomicLong sent)
            throws IOException {
        for (int at = 0; at < payload.length; ) {
            ByteBuffer chunk = ByteBuffer.wrap(payload, at, size(random, payload.length - at));
            while (chunk.hasRemaining()) {
                channel.write(chunk);
            }
            sent.addAndGet(chunk.position() - at);
            at = chunk.position();
        }
        channel.shutdownOutput(); // the server closes once it has echoed everything
    }

    /** Reads the echo in reads of varying sizes, each byte checked against {@code payload}, then the end. */
    private static void read(SocketChannel channel, byte[] payload, Random random, AtomicLong received)
            throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        for (int at = 0; at < payload.length; ) {
            buffer.clear().limit(size(random, payload.length - at));
            int n = channel.read(buffer);
            if (n < 0) {
                throw new AssertionError("the echo ended after " + at + " of " + payload.length + " bytes");
            }
            int mismatch = Arrays.mismatch(buffer.array(), 0, n, payload, at, at + n);
            if (mismatch >= 0) {
                throw new AssertionError("byte " + (at + mismatch) + " of the echo is " + buffer.get(mismatch)
                        + ", sent as " + payload[at + mismatch]);
            }
            at += n;
            received.addAndGet(n);
        }
        buffer.clear();
        int after = channel.read(buffer);
        if (after != -1) {
            throw new AssertionError("after the whole echo, expected its end, read " + after + " more bytes");
        }
    }
}
