// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The client side of echo tests: a plain blocking java.net.Socket, independent of
 * the library. Every read has a timeout, so a server that stops answering fails the
 * test instead of hanging it.
 */
final class EchoClient {
    static final int READ_TIMEOUT_MILLIS = 20_000;
    private static final int MAX_CHUNK = 64 * 1024;

    private EchoClient() {}

    static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(address, READ_TIMEOUT_MILLIS);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            socket.setTcpNoDelay(true);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Writes {@code payload} in chunks of random sizes from another thread while this
     * one reads as many bytes back, in reads of random sizes; returns what came back.
     */
    static byte[] echo(Socket socket, byte[] payload, Random random) throws Exception {
        Random writes = new Random(random.nextLong());
        AtomicReference<Exception> writeFailure = new AtomicReference<>();
        Thread writer = Thread.ofVirtual().name("echo-writer").start(() -> {
            try {
                writeInChunks(socket.getOutputStream(), payload, writes);
            } catch (IOException e) {
                writeFailure.set(e);
            }
        });
        byte[] received = readFully(socket.getInputStream(), payload.length, random);
        writer.join(READ_TIMEOUT_MILLIS);
        if (writeFailure.get() != null) {
            throw writeFailure.get();
        }
        return received;
    }

    static void writeInChunks(OutputStream out, byte[] payload, Random random) throws IOException {
        for (int at = 0; at < payload.length; ) {
            int n = Math.min(payload.length - at, 1 + random.nextInt(MAX_CHUNK));
            out.write(payload, at, n);
            at += n;
        }
        out.flush();
    }

    /**
     * Sends {@code message} and reads as many bytes back, {@code count} times; returns
     * {@code count}. For measurements over many small round trips.
     */
    static int roundTrips(Socket client, byte[] message, int count) throws IOException {
        InputStream in = client.getInputStream();
        for (int i = 0; i < count; i++) {
            client.getOutputStream().write(message);
            for (int at = 0; at < message.length; ) {
                int n = in.read(message, at, message.length - at);
                if (n < 0) {
                    fail("end of stream in round trip " + i);
                }
                at += n;
            }
        }
        return count;
    }

    /** Reads exactly {@code length} bytes in reads of random sizes; fails at an early EOF. */
    static byte[] readFully(InputStream in, int length, Random random) throws IOException {
        byte[] received = new byte[length];
        for (int at = 0; at < length; ) {
            int n = in.read(received, at, Math.min(length - at, 1 + random.nextInt(MAX_CHUNK)));
            if (n < 0) {
                fail("end of stream after " + at + " of " + length + " bytes");
            }
            at += n;
        }
        return received;
    }

    /** Sends {@code text} and checks the same bytes come back. */
    static void assertEchoes(Socket socket, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        socket.getOutputStream().write(bytes);
        assertArrayEquals(bytes, readFully(socket.getInputStream(), bytes.length, new Random(0)),
                "echo of " + text);
    }

    /** Whether the peer ended the connection: a read returns EOF or fails with a reset. */
    static boolean hasEnded(Socket socket) throws IOException {
        try {
            return socket.getInputStream().read() < 0;
        } catch (SocketException e) {
            return true; // "Connection reset"
        }
    }

    /** Asserts the stream ends here: no more data, then EOF. */
    static void assertEndOfStream(Socket socket) throws IOException {
        assertEquals(-1, socket.getInputStream().read(), "end of stream");
    }
}
