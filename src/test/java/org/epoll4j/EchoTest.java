// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** An echo server on a loop serves loopback clients byte-exact, one or many at a time. */
class EchoTest {
    private static final int MIB = 1024 * 1024;

    @Test
    @Timeout(60)
    void oneMebibyteOfRandomBytesComesBackByteExactInRandomChunks() throws Exception {
        Random random = new Random(20240601);
        byte[] payload = new byte[MIB];
        random.nextBytes(payload);
        Echo echo = new Echo();
        try (LoopThread server = LoopThread.serve(echo); Socket client = EchoClient.connect(server.address())) {
            assertArrayEquals(payload, EchoClient.echo(client, payload, random));
            assertEquals(1, echo.opened.get());
        }
    }

    @Test
    @Timeout(90)
    void twoHundredConcurrentClientsEachGetTheirOwnBytesBack() throws Exception {
        int clients = 200;
        Echo echo = new Echo();
        try (LoopThread server = LoopThread.serve(echo);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                long seed = i;
                results.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    byte[] payload = new byte[256 * 1024];
                    random.nextBytes(payload);
                    try (Socket client = EchoClient.connect(server.address())) {
                        assertArrayEquals(payload, EchoClient.echo(client, payload, random), "client " + seed);
                    }
                    return null;
                }));
            }
            for (Future<?> result : results) {
                result.get();
            }
            Eventually.until("every connection has closed", () -> echo.closes.size() == clients);
            assertEquals(clients, echo.opened.get());
        }
    }

    @Test
    @Timeout(60)
    void echoesOverIpv6Loopback() throws Exception {
        InetAddress ipv6Loopback = InetAddress.getByName("::1");
        assumeTrue(canBind(ipv6Loopback), "::1 is not available on this machine");
        Random random = new Random(6);
        byte[] payload = new byte[256 * 1024];
        random.nextBytes(payload);
        try (LoopThread server = LoopThread.serve(new InetSocketAddress(ipv6Loopback, 0), new Echo());
             Socket client = EchoClient.connect(server.address())) {
            assertEquals(ipv6Loopback, server.address().getAddress());
            assertEquals(ipv6Loopback, client.getLocalAddress());
            assertArrayEquals(payload, EchoClient.echo(client, payload, random));
        }
    }

    private static boolean canBind(InetAddress address) {
        try (ServerSocket probe = new ServerSocket(0, 1, address)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
