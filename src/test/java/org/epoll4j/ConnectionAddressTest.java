// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A connection's two addresses, as the peer sees them, for as long as onClose runs. */
@Timeout(30)
class ConnectionAddressTest {
    @Test
    void theAddressesAreThoseTheClientSeesReversedOverIPv4() throws Exception {
        assertAddressesSeenFromBothEnds(LoopThread.LOOPBACK);
    }

    @Test
    void theAddressesAreThoseTheClientSeesReversedOverIPv6() throws Exception {
        InetSocketAddress ipv6 = new InetSocketAddress("::1", 0);
        assumeTrue(hasIPv6Loopback(), "no IPv6 loopback here");
        assertAddressesSeenFromBothEnds(ipv6);
    }

    @Test
    void bothAddressesCanBeReadInOnCloseAfterAnOrderlyClose() throws Exception {
        // Guards a bug: remoteAddress() and localAddress() threw IllegalStateException in onClose.
        Addresses seen = new Addresses();
        try (LoopThread server = LoopThread.serve(seen); Socket client = EchoClient.connect(server.address())) {
            client.shutdownOutput(); // the default onEndOfInput closes
            List<Object> inOnClose = seen.inOnClose.get(20, TimeUnit.SECONDS);
            assertEquals(List.of(client.getLocalSocketAddress(), client.getRemoteSocketAddress()), inOnClose);
        }
    }

    @Test
    void bothAddressesCanBeReadInOnCloseAfterTheClientResetTheConnection() throws Exception {
        // After a reset, getpeername(2) fails with ENOTCONN: the peer's address is kept from accept4.
        Addresses seen = new Addresses();
        try (LoopThread server = LoopThread.serve(seen)) {
            Object clientLocal;
            Object clientRemote;
            try (Socket client = EchoClient.connect(server.address())) {
                clientLocal = client.getLocalSocketAddress();
                clientRemote = client.getRemoteSocketAddress();
                client.setSoLinger(true, 0);
            }
            List<Object> inOnClose = seen.inOnClose.get(20, TimeUnit.SECONDS);
            assertEquals(List.of(clientLocal, clientRemote), inOnClose);
        }
    }

    private static void assertAddressesSeenFromBothEnds(InetSocketAddress listenOn) throws Exception {
        Addresses seen = new Addresses();
        try (LoopThread server = LoopThread.serve(listenOn, seen); Socket client = EchoClient.connect(server.address())) {
            assertEquals(List.of(client.getLocalSocketAddress(), client.getRemoteSocketAddress()),
                    seen.inOnOpen.get(20, TimeUnit.SECONDS));
        }
    }

    private static boolean hasIPv6Loopback() {
        try (Socket ignored = new Socket()) {
            ignored.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Records [remoteAddress, localAddress] (or what they threw) in onOpen and in onClose. */
    private static final class Addresses implements ConnectionHandler {
        final CompletableFuture<List<Object>> inOnOpen = new CompletableFuture<>();
        final CompletableFuture<List<Object>> inOnClose = new CompletableFuture<>();

        @Override
        public void onOpen(Connection connection) {
            inOnOpen.complete(List.of(outcome(connection::remoteAddress), outcome(connection::localAddress)));
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {}

        @Override
        public void onClose(Connection connection, IOException cause) {
            inOnClose.complete(List.of(outcome(connection::remoteAddress), outcome(connection::localAddress)));
        }

        private static Object outcome(Callable<?> call) {
            try {
                return call.call();
            } catch (Exception e) {
                return e;
            }
        }
    }
}
