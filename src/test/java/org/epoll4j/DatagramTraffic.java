// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Clients of a UDP echo server, all at once: each sends pseudo-random datagrams of varying
 * sizes in windows, and waits for every datagram of a window to come back, byte for byte,
 * before it sends the next: nothing is sent again, so a reply the server drops fails the
 * test. A window is small enough for the sockets' buffers on loopback, where the kernel
 * then loses nothing. A test fixture: {@link DatagramSocket}s, independent of the library.
 *
 * @param clients   how many clients run at once, each on a thread of its own
 * @param datagrams how many datagrams each client sends
 * @param window    how many datagrams a client sends before it waits for their echoes
 * @param seed      the seed of the bytes and the sizes
 */
record DatagramTraffic(int clients, int datagrams, int window, long seed) {
    /** Each datagram starts with its client's number and its own, 4 bytes each. */
    private static final int HEADER = 8;
    private static final int MAX_SIZE = 1400;
    /** How long a client waits for a reply before it counts the missing ones lost. */
    private static final int PATIENCE_MILLIS = 5_000;

    /**
     * Runs every client against {@code server}; returns once each has had all of its
     * datagrams back. Fails with which datagrams did not come back, or came back wrong, or
     * if the clients have not all finished within {@code seconds}.
     */
    void run(InetSocketAddress server, long seconds) throws Exception {
        List<DatagramSocket> sockets = new ArrayList<>();
        AtomicIntegerArray echoed = new AtomicIntegerArray(clients);
        try {
            for (int c = 0; c < clients; c++) {
                sockets.add(new DatagramSocket(new InetSocketAddress(server.getAddress(), 0)));
            }
            ClientThreads.run("datagram client", clients, seconds,
                    client -> echo(sockets.get(client), server, client, echoed),
                    () -> "datagrams echoed per client, of " + datagrams + ": " + echoed);
        } finally {
            sockets.forEach(DatagramSocket::close);
        }
    }

    private void echo(DatagramSocket socket, InetSocketAddress server, int client, AtomicIntegerArray echoed)
            throws Exception {
        socket.connect(server); // replies from elsewhere are not this client's
        socket.setSoTimeout(PATIENCE_MILLIS);
        socket.setReceiveBufferSize(1 << 20);
        Random random = new Random(seed * 1_000_003L + client);
        byte[] buffer = new byte[MAX_SIZE + 1];
        for (int first = 0; first < datagrams; first += window) {
            int end = Math.min(datagrams, first + window);
            TreeMap<Integer, byte[]> waiting = new TreeMap<>();
            for (int number = first; number < end; number++) {
                byte[] datagram = new byte[HEADER + random.nextInt(MAX_SIZE - HEADER + 1)];
                random.nextBytes(datagram);
                ByteBuffer.wrap(datagram).putInt(client).putInt(number);
                waiting.put(number, datagram);
                socket.send(new DatagramPacket(datagram, datagram.length));
            }
            while (!waiting.isEmpty()) {
                DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
                try {
                    socket.receive(reply);
                } catch (SocketTimeoutException e) {
                    throw new AssertionError(waiting.size() + " of datagrams " + first + " to " + (end - 1)
                            + " never came back (none sent again): " + waiting.keySet());
                }
                check(client, reply, waiting);
                echoed.incrementAndGet(client);
            }
        }
    }

    private static void check(int client, DatagramPacket reply, TreeMap<Integer, byte[]> waiting) {
        ByteBuffer header = ByteBuffer.wrap(reply.getData(), 0, reply.getLength());
        int number = reply.getLength() >= HEADER && header.getInt() == client ? header.getInt() : -1;
        byte[] sent = waiting.remove(number);
        if (sent == null) {
            throw new AssertionError("a reply of " + reply.getLength() + " bytes that is no datagram it waits for"
                    + " (number " + number + "; waiting for " + waiting.keySet() + ")");
        }
        if (!Arrays.equals(sent, 0, sent.length, reply.getData(), 0, reply.getLength())) {
            throw new AssertionError("datagram " + number + " came back as " + reply.getLength()
                    + " different bytes, sent as " + sent.length);
        }
    }
}
