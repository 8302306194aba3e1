// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.epoll4j.epoll.AbstractNamespaceAddress;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;
import org.epoll4j.ffi.sockaddr_un;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Unix domain stream sockets, with the JDK's SocketChannel as the independent client. */
@Timeout(60)
class UnixSocketTest {
    @TempDir
    Path directory;

    @Test
    void aServerOnASocketFileEchoesEveryByteToManyClientsAndRemovesTheFileWhenItCloses() throws Exception {
        Path path = directory.resolve("echo.sock");
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(path);
        try (LoopThread loop = LoopThread.start()) {
            Server server = loop.call(() -> loop.loop().listen(address, new Echo()));
            assertEquals(address, server.localAddress());
            assertTrue(Files.exists(path), "the socket file");
            Random random = new Random(11);
            for (int i = 0; i < 20; i++) {
                try (SocketChannel client = SocketChannel.open(address)) {
                    byte[] payload = new byte[1 + random.nextInt(200_000)];
                    random.nextBytes(payload);
                    assertArrayEquals(payload, echo(client, payload));
                }
            }
            server.close();
            loop.call(() -> null);
            assertFalse(Files.exists(path), "the socket file is removed on close");
        }
    }

    @Test
    void aSocketFileInTheWayIsAnErrorThatSaysWhatToDoAndIsReplacedOnlyWhenAsked() throws Exception {
        Path path = directory.resolve("stale.sock");
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(path);
        try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            stale.bind(address); // a socket file, as a process that died would leave it
        }
        assertTrue(Files.exists(path));
        try (LoopThread loop = LoopThread.start()) {
            ErrnoException refused = loop.call(() -> assertThrows(ErrnoException.class,
                    () -> loop.loop().listen(address, new Echo())));
            assertEquals("EADDRINUSE", refused.errnoName());
            assertTrue(refused.getMessage().contains("REPLACE_SOCKET_FILE"), refused.getMessage());

            loop.call(() -> loop.loop().listen(address, new Echo(), ListenOption.REPLACE_SOCKET_FILE));
            try (SocketChannel client = SocketChannel.open(address)) {
                assertArrayEquals("replaced".getBytes(), echo(client, "replaced".getBytes()));
            }
        }
    }

    @Test
    void aFileThatIsNotASocketIsNeverRemoved() throws Exception {
        Path path = directory.resolve("data.txt");
        Files.writeString(path, "precious");
        try (LoopThread loop = LoopThread.start()) {
            ErrnoException refused = loop.call(() -> assertThrows(ErrnoException.class,
                    () -> loop.loop().listen(UnixDomainSocketAddress.of(path), new Echo(),
                            ListenOption.REPLACE_SOCKET_FILE)));
            assertEquals("EADDRINUSE", refused.errnoName());
            assertEquals("precious", Files.readString(path));
        }
    }

    @Test
    void theConnectionKnowsItsAddressesAndThePeersCredentials() throws Exception {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(directory.resolve("creds.sock"));
        CompletableFuture<List<Object>> seen = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                try {
                    seen.complete(List.of(connection.localAddress(), connection.remoteAddress(),
                            connection.peerCredentials()));
                } catch (Exception e) {
                    seen.completeExceptionally(e);
                }
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}
        };
        try (LoopThread loop = LoopThread.start()) {
            loop.call(() -> loop.loop().listen(address, handler));
            try (SocketChannel client = SocketChannel.open(address)) {
                List<Object> addresses = seen.get(20, TimeUnit.SECONDS);
                assertEquals(address, addresses.get(0));
                assertEquals(client.getLocalAddress(), addresses.get(1), "the client's: unnamed");
                PeerCredentials credentials = (PeerCredentials) addresses.get(2);
                assertEquals(ProcessHandle.current().pid(), credentials.pid());
                assertEquals(ids("Uid:"), credentials.uid());
                assertEquals(ids("Gid:"), credentials.gid());
            }
        }
    }

    @Test
    void peerCredentialsAreRefusedOnATcpConnection() throws Exception {
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                outcome.complete(assertThrows(UnsupportedOperationException.class, connection::peerCredentials));
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {}
        };
        try (LoopThread server = LoopThread.serve(handler);
             java.net.Socket client = EchoClient.connect(server.address())) {
            assertTrue(outcome.get(20, TimeUnit.SECONDS).getMessage().contains("Unix"));
        }
    }

    @Test
    void aServerInTheAbstractNamespaceEchoesAndLeavesNoFile() throws Exception {
        AbstractNamespaceAddress address = AbstractNamespaceAddress.of("epoll4j-test-" + ProcessHandle.current().pid());
        try (LoopThread loop = LoopThread.start()) {
            Server server = loop.call(() -> loop.loop().listen(address, new Echo()));
            assertEquals(address, server.localAddress());
            assertEquals("echoed in the abstract namespace", RawUnixClient.echo(address.name(),
                    "echoed in the abstract namespace"));
            server.close();
        }
    }

    @Test
    void theLoopConnectsToASocketFile() throws Exception {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(directory.resolve("peer.sock"));
        try (ServerSocketChannel peer = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             LoopThread loop = LoopThread.start()) {
            peer.bind(address);
            CompletableFuture<String> reply = new CompletableFuture<>();
            loop.call(() -> loop.loop().connect(address, new ConnectionHandler() {
                @Override
                public void onOpen(Connection connection) {
                    connection.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
                }

                @Override
                public void onData(Connection connection, ByteBuffer data) {
                    reply.complete(StandardCharsets.US_ASCII.decode(data).toString());
                }
            }));
            try (SocketChannel accepted = peer.accept()) {
                ByteBuffer ping = ByteBuffer.allocate(4);
                while (ping.hasRemaining()) {
                    accepted.read(ping);
                }
                accepted.write(ByteBuffer.wrap("pong".getBytes(StandardCharsets.US_ASCII)));
                assertEquals("pong", reply.get(20, TimeUnit.SECONDS));
            }
        }
    }

    /** Writes {@code payload} from another thread while reading back as many bytes. */
    private static byte[] echo(SocketChannel client, byte[] payload) throws Exception {
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                ByteBuffer out = ByteBuffer.wrap(payload);
                while (out.hasRemaining()) {
                    client.write(out);
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        ByteBuffer in = ByteBuffer.allocate(payload.length);
        while (in.hasRemaining() && client.read(in) >= 0) {
            // until every byte is back
        }
        writer.join();
        return in.array();
    }

    /** The real user or group id of this process, from /proc/self/status. */
    private static int ids(String line) throws IOException {
        for (String status : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (status.startsWith(line)) {
                return Integer.parseInt(status.substring(line.length()).trim().split("\\s+")[1]);
            }
        }
        throw new AssertionError(line + " not in /proc/self/status");
    }

    /**
     * A blocking client of a socket in the abstract namespace, which the JDK's channels
     * cannot reach: socket(2), connect(2), write(2), read(2) through the bindings.
     */
    private static final class RawUnixClient {
        static String echo(String name, String text) {
            try (Arena arena = Arena.ofConfined()) {
                int fd = Libc.socket(Libc.AF_UNIX(), Libc.SOCK_STREAM(), 0);
                assertTrue(fd >= 0, "socket");
                try {
                    MemorySegment address = arena.allocate(sockaddr_un.layout());
                    address.set(JAVA_SHORT, sockaddr_un.sun_family$offset(), (short) Libc.AF_UNIX());
                    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
                    long path = sockaddr_un.sun_path$offset();
                    MemorySegment.copy(bytes, 0, address, JAVA_BYTE, path + 1, bytes.length); // after the 0
                    assertEquals(0, Libc.connect(fd, address, (int) (path + 1 + bytes.length)), "connect");
                    byte[] out = text.getBytes(StandardCharsets.UTF_8);
                    MemorySegment buffer = arena.allocate(out.length);
                    MemorySegment.copy(out, 0, buffer, JAVA_BYTE, 0, out.length);
                    assertEquals(out.length, Libc.write(fd, buffer, out.length));
                    long got = 0;
                    while (got < out.length) {
                        long n = Libc.read(fd, buffer.asSlice(got), out.length - got);
                        assertTrue(n > 0, "read");
                        got += n;
                    }
                    return new String(buffer.toArray(JAVA_BYTE), StandardCharsets.UTF_8);
                } finally {
                    Libc.close(fd);
                }
            }
        }
    }


    /**
     * Guards a bug: a server removed whatever socket file was at its path as it closed,
     * even the one of a server that had replaced it there (a rolling restart with
     * REPLACE_SOCKET_FILE), which clients then could no longer reach.
     */
    @Test
    void closingAServerLeavesTheSocketFileOfTheServerThatReplacedIt() throws Exception {
        Path path = directory.resolve("service.sock");
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(path);
        ConnectionHandler echo = (connection, data) -> connection.write(data);
        try (LoopThread old = LoopThread.start(); LoopThread fresh = LoopThread.start()) {
            Server first = old.call(() -> old.loop().listen(address, echo, ListenOption.REPLACE_SOCKET_FILE));
            fresh.call(() -> fresh.loop().listen(address, echo, ListenOption.REPLACE_SOCKET_FILE));
            old.call(() -> {
                first.close();
                return null;
            });
            assertTrue(Files.exists(path), "the new server's socket file was removed");
            try (SocketChannel client = SocketChannel.open(address)) {
                client.write(ByteBuffer.wrap(new byte[] {7}));
                ByteBuffer reply = ByteBuffer.allocate(1);
                client.read(reply);
                assertEquals(7, reply.get(0));
            }
        }
        assertFalse(Files.exists(path), "the new server removes its file as its loop closes");
    }
}
