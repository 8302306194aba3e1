// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;
import org.epoll4j.loop.Sources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Socket options of servers and connections, read back from the kernel with getsockopt. */
@Timeout(30)
class SocketOptionsTest {
    private static final ConnectionHandler IGNORE = new ConnectionHandler() {
        @Override
        public void onData(Connection connection, ByteBuffer data) {}
    };

    @Test
    void twoLoopsListenOnOnePortWithReusePort() throws Exception {
        try (EventLoop first = EventLoop.open(); EventLoop second = EventLoop.open()) {
            Server server = first.listen(new InetSocketAddress("127.0.0.1", 0), IGNORE, ListenOption.REUSE_PORT);
            InetSocketAddress sameAddress = (InetSocketAddress) server.localAddress();
            Server other = second.listen(sameAddress, IGNORE, ListenOption.REUSE_PORT);
            assertEquals(sameAddress, other.localAddress());
        }
    }

    @Test
    void aSecondListenerWithoutReusePortFailsWithEADDRINUSE() throws Exception {
        try (EventLoop first = EventLoop.open(); EventLoop second = EventLoop.open()) {
            SocketAddress taken = first.listen(new InetSocketAddress("127.0.0.1", 0), IGNORE).localAddress();
            ErrnoException e = assertThrows(ErrnoException.class, () -> second.listen(taken, IGNORE));
            assertEquals("EADDRINUSE", e.errnoName());
            assertEquals("bind", e.syscall());
        }
    }

    @Test
    void acceptedConnectionsHaveNoDelayAndTakeKeepAlive() throws Exception {
        CompletableFuture<int[]> options = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                try {
                    int noDelayByDefault = option(connection, Libc.IPPROTO_TCP(), Libc.TCP_NODELAY());
                    connection.setNoDelay(false);
                    connection.setKeepAlive(true);
                    options.complete(new int[] {noDelayByDefault,
                        option(connection, Libc.IPPROTO_TCP(), Libc.TCP_NODELAY()),
                        option(connection, Libc.SOL_SOCKET(), Libc.SO_KEEPALIVE())});
                } catch (ErrnoException e) {
                    options.completeExceptionally(e);
                }
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}
        };
        try (LoopThread loop = LoopThread.serve(handler);
             java.net.Socket client = new java.net.Socket(loop.address().getAddress(), loop.address().getPort())) {
            int[] seen = options.get(20, TimeUnit.SECONDS);
            assertNotEquals(0, seen[0], "TCP_NODELAY on by default");
            assertEquals(0, seen[1], "TCP_NODELAY after setNoDelay(false)");
            assertNotEquals(0, seen[2], "SO_KEEPALIVE after setKeepAlive(true)");
        }
    }

    /** The value of an int option of the connection's socket, read with getsockopt(2). */
    private static int option(Connection connection, int level, int option) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_INT);
            MemorySegment length = arena.allocateFrom(JAVA_INT, Integer.BYTES);
            if (Libc.getsockopt(Sources.fd(connection), level, option, value, length) != 0) {
                throw new IllegalStateException("getsockopt failed");
            }
            return value.get(JAVA_INT, 0);
        }
    }
}
