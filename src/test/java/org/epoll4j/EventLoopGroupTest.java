// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.testing.OpenFds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Several loops on threads of their own, and servers that spread connections over them. */
@Timeout(120)
class EventLoopGroupTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    /** Echo, counting which loop served each connection. */
    private static class CountingEcho extends Echo {
        final Map<EventLoop, AtomicInteger> perLoop = new ConcurrentHashMap<>();

        @Override
        public void onOpen(Connection connection) {
            super.onOpen(connection);
            assertTrue(connection.loop().inLoop(), "onOpen runs on the connection's loop");
            perLoop.computeIfAbsent(connection.loop(), loop -> new AtomicInteger()).incrementAndGet();
        }
    }

    @Test
    void aGroupsPortIsItsOwnASecondGroupOrLoopThereFailsWithEaddrinuse() throws Exception {
        // Guards a bug (#18): SO_REUSEPORT on by default let a second group (or process)
        // listen on the port and silently take part of the connections.
        try (EventLoopGroup first = EventLoopGroup.open(2); EventLoopGroup second = EventLoopGroup.open(2);
             LoopThread single = LoopThread.start()) {
            InetSocketAddress port = (InetSocketAddress) first.listen(LOOPBACK, new Echo()).localAddress();
            ErrnoException taken = assertThrows(ErrnoException.class, () -> second.listen(port, new Echo()));
            assertEquals("EADDRINUSE", taken.errnoName());
            assertTrue(taken.getMessage().contains("ListenOption.REUSE_PORT"), taken.getMessage());
            ErrnoException sharing = assertThrows(ErrnoException.class,
                    () -> second.listen(port, new Echo(), EventLoopGroup.Sharing.HAND_OFF));
            assertEquals("EADDRINUSE", sharing.errnoName());
            single.call(() -> assertThrows(ErrnoException.class, () -> single.loop().listen(port, new Echo())));
            try (Socket client = EchoClient.connect(port)) {
                EchoClient.assertEchoes(client, "the first group still serves its port");
            }
        }
    }

    @Test
    void aOneLoopGroupsPortRefusesEvenAServerThatAsksToShareIt() throws Exception {
        // Found in review (#18): a group's listeners set SO_REUSEPORT to share the port among
        // its loops, so a server that asks to share joins them. One loop needs no sharing.
        DatagramHandler echo = (endpoint, datagram) -> datagram.reply(datagram.data());
        try (EventLoopGroup first = EventLoopGroup.open(1); EventLoopGroup second = EventLoopGroup.open(1)) {
            InetSocketAddress port = (InetSocketAddress) first.listen(LOOPBACK, new Echo()).localAddress();
            assertEquals("EADDRINUSE", assertThrows(ErrnoException.class, () -> second.listen(port, new Echo(),
                    EventLoopGroup.Sharing.REUSE_PORT, ListenOption.REUSE_PORT)).errnoName());
            InetSocketAddress udp = (InetSocketAddress) first.bindUdp(LOOPBACK, 2048, echo).getFirst().localAddress();
            assertEquals("EADDRINUSE", assertThrows(ErrnoException.class,
                    () -> second.bindUdp(udp, 2048, echo, ListenOption.REUSE_PORT)).errnoName());
        }
    }

    @Test
    void aPortWhereAnotherSocketListensIsRefusedBeforeTheGroupJoinsIt() throws Exception {
        try (ServerSocket other = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             EventLoopGroup group = EventLoopGroup.open(2)) {
            InetSocketAddress port = new InetSocketAddress(other.getInetAddress(), other.getLocalPort());
            assertEquals("EADDRINUSE", assertThrows(ErrnoException.class, () -> group.listen(port, new Echo()))
                    .errnoName());
        }
    }

    @Test
    void withReusePortTwoGroupsShareThePortAndBothServeIt() throws Exception {
        try (EventLoopGroup first = EventLoopGroup.open(1); EventLoopGroup second = EventLoopGroup.open(1)) {
            CountingEcho firstEcho = new CountingEcho();
            CountingEcho secondEcho = new CountingEcho();
            InetSocketAddress port = (InetSocketAddress) first.listen(LOOPBACK, firstEcho,
                    EventLoopGroup.Sharing.REUSE_PORT, ListenOption.REUSE_PORT).localAddress();
            second.listen(port, secondEcho, EventLoopGroup.Sharing.REUSE_PORT, ListenOption.REUSE_PORT);
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 64 && (firstEcho.opened.get() == 0 || secondEcho.opened.get() == 0); i++) {
                    Socket client = EchoClient.connect(new InetSocketAddress(port.getAddress(), port.getPort()));
                    clients.add(client);
                    EchoClient.assertEchoes(client, "client " + i);
                }
            } finally {
                for (Socket client : clients) {
                    client.close();
                }
            }
            assertTrue(firstEcho.opened.get() > 0 && secondEcho.opened.get() > 0,
                    "both groups served: " + firstEcho.opened + " and " + secondEcho.opened);
        }
    }

    @Test
    void aGroupsUdpPortIsItsOwnUnlessBothAskToShareIt() throws Exception {
        DatagramHandler echo = (endpoint, datagram) -> datagram.reply(datagram.data());
        try (EventLoopGroup first = EventLoopGroup.open(2); EventLoopGroup second = EventLoopGroup.open(2)) {
            List<UdpEndpoint> endpoints = first.bindUdp(LOOPBACK, 2048, echo);
            assertEquals(2, endpoints.size());
            InetSocketAddress port = (InetSocketAddress) endpoints.getFirst().localAddress();
            assertEquals(port, endpoints.getLast().localAddress(), "one port for every loop");
            assertEquals("EADDRINUSE", assertThrows(ErrnoException.class,
                    () -> second.bindUdp(port, 2048, echo)).errnoName());
            InetSocketAddress shared = (InetSocketAddress) second.bindUdp(LOOPBACK, 2048, echo, ListenOption.REUSE_PORT)
                    .getFirst().localAddress();
            assertEquals(1, first.bindUdp(shared, 2048, echo, ListenOption.REUSE_PORT).stream()
                    .map(UdpEndpoint::localAddress).distinct().count(), "both groups share that one");
        }
    }

    /**
     * A VirtualMachineError from a handler ends its loop's run(): the group closes that
     * loop on its thread, so its clients learn at once that their connections are gone,
     * and its listener no longer takes connections that nobody would serve.
     */
    @Test
    void aLoopWhoseRunDiesIsClosedAndItsClientsSeeTheirConnectionsEnd() throws Exception {
        List<Throwable> reported = new CopyOnWriteArrayList<>();
        assertADeadLoopIsClosed(reported, (where, error) -> reported.add(error));
    }

    /**
     * With one listener that hands connections off, a loop that died is skipped: the
     * newcomers go to the loops that run, and none is accepted only to be dropped.
     */
    @Test
    void handingOffSkipsALoopWhoseRunDied() throws Exception {
        try (EventLoopGroup group = EventLoopGroup.open(2)) {
            group.setErrorHandler((where, error) -> {});
            Server server = group.listen(LOOPBACK, dyingEcho(), EventLoopGroup.Sharing.HAND_OFF);
            // Round robin from the first loop, the listener's: the second client is the other loop's.
            try (Socket first = EchoClient.connect(address(server));
                 Socket victim = EchoClient.connect(address(server))) {
                EchoClient.echo(first, new byte[] {'a'}, new Random(1));
                victim.setSoTimeout(10_000);
                victim.getOutputStream().write('X');
                try {
                    assertEquals(-1, victim.getInputStream().read(), "the dead loop's connection ends");
                } catch (SocketException e) {
                    // Reset: ended too.
                }
                EchoClient.echo(first, new byte[] {'b'}, new Random(2));
            }
            for (int i = 0; i < 10; i++) {
                try (Socket client = EchoClient.connect(address(server))) {
                    client.setSoTimeout(10_000);
                    EchoClient.echo(client, new byte[] {'c', 'd'}, new Random(i));
                }
            }
        }
    }

    /** An echo whose handler throws StackOverflowError on a message that begins with X. */
    private static Echo dyingEcho() {
        return new Echo() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                if (data.get(0) == 'X') {
                    throw new StackOverflowError("a handler's deep recursion, for the test");
                }
                super.onData(connection, data);
            }
        };
    }

    /** The same with an ErrorHandler that fails fast: it rethrows what ends the loop. */
    @Test
    void aLoopWhoseRunDiesIsClosedEvenIfItsErrorHandlerRethrows() throws Exception {
        List<Throwable> reported = new CopyOnWriteArrayList<>();
        assertADeadLoopIsClosed(reported, (where, error) -> {
            reported.add(error);
            if (error instanceof VirtualMachineError fatal) {
                throw fatal;
            }
        });
    }

    private static void assertADeadLoopIsClosed(List<Throwable> reported, ErrorHandler errorHandler)
            throws Exception {
        Echo dies = dyingEcho();
        try (EventLoopGroup group = EventLoopGroup.open(2)) {
            group.setErrorHandler(errorHandler);
            Server server = group.listen(LOOPBACK, dies);
            try (Socket victim = EchoClient.connect(address(server))) {
                victim.setSoTimeout(10_000);
                victim.getOutputStream().write('X');
                try {
                    assertEquals(-1, victim.getInputStream().read(), "the dead loop's connection ends");
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("the dead loop's connection still hangs open", e);
                } catch (SocketException e) {
                    // Reset: ended too.
                }
            }
            Eventually.until("the loop's failure is reported", () -> !reported.isEmpty());
            assertInstanceOf(StackOverflowError.class, reported.getFirst());
            for (int i = 0; i < 20; i++) { // each lands on the live loop's listener
                try (Socket client = EchoClient.connect(address(server))) {
                    client.setSoTimeout(10_000);
                    EchoClient.echo(client, new byte[] {'a', 'b'}, new Random(i));
                }
            }
        }
    }

    @Test
    void twoLoopsShareAThousandConnectionsAndEchoEveryByte() throws Exception {
        for (EventLoopGroup.Sharing sharing : EventLoopGroup.Sharing.values()) {
            CountingEcho echo = new CountingEcho();
            try (EventLoopGroup group = EventLoopGroup.open(2)) {
                Server server = group.listen(LOOPBACK, echo, sharing);
                assertTrue(address(server).getPort() > 0, "port 0 picked a port");
                List<Socket> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < 1000; i++) {
                        clients.add(EchoClient.connect(address(server)));
                    }
                    Random random = new Random(7);
                    for (int i = 0; i < clients.size(); i++) {
                        byte[] payload = new byte[1 + random.nextInt(2000)];
                        random.nextBytes(payload);
                        EchoClient.echo(clients.get(i), payload, random);
                    }
                } finally {
                    for (Socket client : clients) {
                        client.close();
                    }
                }
                assertEquals(2, echo.perLoop.size(), sharing + ": both loops served: " + echo.perLoop);
                for (AtomicInteger served : echo.perLoop.values()) {
                    assertTrue(served.get() >= 350 && served.get() <= 650, sharing + ": " + echo.perLoop);
                }
            }
        }
    }

    @Test
    void aHandlerThatThrowsOnOneLoopDoesNotDisturbTheOther() throws Exception {
        CountingEcho faulty = new CountingEcho() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                if (data.get(data.position()) == 'X') {
                    throw new IllegalStateException("the handler's bug");
                }
                super.onData(connection, data);
            }
        };
        try (EventLoopGroup group = EventLoopGroup.open(2)) {
            Server server = group.listen(LOOPBACK, faulty, EventLoopGroup.Sharing.HAND_OFF);
            try (Socket first = EchoClient.connect(address(server));
                 Socket second = EchoClient.connect(address(server))) { // the other loop, in turn
                EchoClient.assertEchoes(first, "first");
                EchoClient.assertEchoes(second, "second");
                assertEquals(2, faulty.perLoop.size());
                first.getOutputStream().write('X');
                assertTrue(EchoClient.hasEnded(first));
                EchoClient.assertEchoes(second, "still served");
                assertInstanceOf(IOException.class, faulty.closes.poll(20, TimeUnit.SECONDS).cause());
            }
        }
    }

    @Test
    void closingTheGroupWithConnectionsOpenLeavesNoFdOrThreadBehind() throws Exception {
        serveOnceAndClose(); // opens whatever the JDK and the library open lazily, once
        long fdsBefore = OpenFds.count();
        Echo echo = new Echo();
        EventLoopGroup group = EventLoopGroup.open(2);
        Server server = group.listen(LOOPBACK, echo);
        List<Socket> clients = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Socket client = EchoClient.connect(address(server));
            EchoClient.assertEchoes(client, "open " + i);
            clients.add(client);
        }
        group.close();
        for (Socket client : clients) {
            assertTrue(EchoClient.hasEnded(client), "the group's connections are closed");
            client.close();
        }
        assertEquals(20, echo.closes.size(), "onClose ran for each connection");
        assertFalse(server.isOpen());
        for (EventLoop loop : group.loops()) {
            assertFalse(loop.isOpen());
        }
        assertEquals(Set.of(), loopThreads(), "loop threads left");
        assertEquals(fdsBefore, OpenFds.count(), "fds open after the group and its clients closed");
    }

    @Test
    void closeAsyncCompletesOnceEveryThreadHasEnded() throws Exception {
        EventLoopGroup group = EventLoopGroup.open(3);
        assertEquals(3, loopThreads().size());
        group.closeAsync().toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertEquals(Set.of(), loopThreads(), "loop threads still alive");
        group.close(); // idempotent
    }

    @Test
    void connectPicksALoopInTurnOrTheCallersOwn() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             EventLoopGroup group = EventLoopGroup.open(2)) {
            InetSocketAddress address = new InetSocketAddress(peer.getInetAddress(), peer.getLocalPort());
            Echo handler = new Echo();
            Connection first = group.connect(address, handler);
            Connection second = group.connect(address, handler);
            assertNotSame(first.loop(), second.loop(), "in turn");
            CompletableFuture<EventLoop> fromLoop = new CompletableFuture<>();
            EventLoop own = group.loops().get(1);
            own.execute(() -> {
                try {
                    fromLoop.complete(group.connect(address, handler).loop());
                } catch (Exception e) {
                    fromLoop.completeExceptionally(e);
                }
            });
            assertSame(own, fromLoop.get(20, TimeUnit.SECONDS), "a connection made on a loop stays on it");
        }
    }

    @Test
    void listenFromOneOfTheGroupsOwnLoopsIsRefused() throws Exception {
        try (EventLoopGroup group = EventLoopGroup.open(2)) {
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            group.loops().getFirst().execute(() -> {
                try {
                    group.listen(LOOPBACK, new Echo());
                    outcome.complete(null);
                } catch (Throwable e) {
                    outcome.complete(e);
                }
            });
            assertInstanceOf(IllegalStateException.class, outcome.get(20, TimeUnit.SECONDS));
            assertThrows(IllegalArgumentException.class, () -> EventLoopGroup.open(0));
        }
    }

    private static InetSocketAddress address(Server server) {
        return (InetSocketAddress) server.localAddress();
    }

    private static void serveOnceAndClose() throws Exception {
        try (EventLoopGroup group = EventLoopGroup.open(1)) {
            Server server = group.listen(LOOPBACK, new Echo());
            try (Socket client = EchoClient.connect(address(server))) {
                EchoClient.assertEchoes(client, "once");
            }
        }
    }

    private static Set<String> loopThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith("epoll4j-loop-")).collect(Collectors.toSet());
    }
}
