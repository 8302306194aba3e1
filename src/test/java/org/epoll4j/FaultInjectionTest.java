// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.epoll4j.testing.OpenFds;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The echo server, a child JVM with the fault-injection shim preloaded ({@link FaultShim},
 * {@code src/test/c/faults.c}), under each family of faults that the man pages allow its
 * loops' system calls: interrupted, would-block and short reads and writes, failed accepts,
 * interrupted and short epoll waits, interrupted, would-block and short recvmmsg and
 * sendmmsg. Concurrent clients check every byte that comes back, in order, and every
 * datagram; then the server's fds must be those it had before the clients, its loops must
 * make next to no system calls while idle (no spin), it must have reported nothing on
 * stderr, and it must exit 0 on SIGTERM. Every test checks that the faults it names were
 * injected (a test that injects nothing fails). Issue #18.
 */
@Timeout(90)
class FaultInjectionTest {
    /** The chance of a fault, in percent, for each call that may get one. */
    private static final int PERCENT = 20;
    /** The server's event loops: one per core here. */
    private static final int LOOPS = 2;
    private static final long CLIENT_SECONDS = 40;
    /** An idle interval, and the most wrapped calls the loops may make in it: a spinning loop makes thousands. */
    private static final long IDLE_MILLIS = 500;
    private static final long IDLE_CALLS = 50;
    private static final long SETTLE_NANOS = 15_000_000_000L;

    /* 8 MiB each way in 4 connections; 64 connections of 32 KiB; 32 of 256 KiB. */
    private static final StreamTraffic BULK = new StreamTraffic(4, 1, 2 << 20, 18);
    private static final StreamTraffic MANY_CONNECTIONS = new StreamTraffic(4, 16, 32 << 10, 18);
    private static final long CONNECTIONS = 4 * 16;
    private static final StreamTraffic MIXED = new StreamTraffic(4, 8, 256 << 10, 18);
    /* 4,000 datagrams, 16 in flight per client: 64 fit in the server's default receive buffer. */
    private static final DatagramTraffic DATAGRAMS = new DatagramTraffic(4, 1000, 16, 18);

    enum Transport { TCP, UNIX, UDP }

    /** What the clients of one test do. */
    @FunctionalInterface
    private interface Clients {
        void run(SocketAddress server) throws Exception;
    }

    private static Clients streams(StreamTraffic traffic) {
        return server -> traffic.run(server, CLIENT_SECONDS);
    }

    private static Clients datagrams(DatagramTraffic traffic) {
        return server -> traffic.run((InetSocketAddress) server, CLIENT_SECONDS);
    }

    private static Clients clients(Transport transport, StreamTraffic traffic) {
        return transport == Transport.UDP ? datagrams(DATAGRAMS) : streams(traffic);
    }

    @BeforeEach
    void buildTheShim() throws Exception {
        FaultShim.library(); // built once; or the test is skipped, saying why
    }

    @Test
    void theShimCountsTheLoopsCallsAndInjectsNothingWhenNoFamilyIsNamed(@TempDir Path directory) throws Exception {
        FaultCounters counted = serve(Transport.TCP, directory, streams(MANY_CONNECTIONS));
        assertEquals(Map.of(), counted.injected());
        assertEquals(CONNECTIONS, counted.get("seen.accepted"), "connections accepted; " + counted);
        assertTrue(counted.get("calls.read") > 0 && counted.get("calls.epoll_wait") > 0,
                "the loops' calls went through the shim: " + counted);
    }

    /**
     * The other half of how the calls bind (guide, "How the system calls bind"): a library
     * the application loads itself, as a JNI library is, is not where the loops' calls go,
     * even if it exports read, write and the rest. With jextract's lookup, which asks such
     * libraries first, this shim took every call, and injected its faults into all of them.
     */
    @Test
    void aLibraryTheApplicationLoadsTakesNoneOfTheLoopsCalls(@TempDir Path directory) throws Exception {
        Path counters = directory.resolve("counters");
        List<String> environment = List.of("env", "EPOLL4J_FAULTS=all", "EPOLL4J_FAULTS_PERCENT=100",
                "EPOLL4J_FAULTS_COUNTERS=" + counters);
        try (EchoServerProcess server = EchoServerProcess.start(environment, List.of(),
                List.of(EchoServerProcess.classes(), EchoServerProcess.examples(), testClasses()),
                LoadLibraryThenEcho.class.getName(), FaultShim.library().toString(), "--port", "0", "--threads", "1")) {
            streams(MANY_CONNECTIONS).run(server.awaitListening());
            FaultCounters counted = FaultCounters.read(counters);
            assertEquals(0, counted.calls(), "calls of the loops that the loaded library took: " + counted);
            server.process().destroy();
            assertEquals(0, server.awaitExit(), "exit status; stderr: " + server.stderr());
        }
    }

    private static Path testClasses() throws java.net.URISyntaxException {
        return Path.of(FaultInjectionTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @ParameterizedTest
    @EnumSource(names = {"TCP", "UNIX"})
    void everyByteComesBackWhenReadsAndWritesAreInterruptedWouldBlockOrShort(Transport transport,
                                                                             @TempDir Path directory) throws Exception {
        FaultCounters counted = serve(transport, directory, streams(BULK), "stream-io");
        assertInjected(counted, "read.EINTR", "read.EAGAIN", "read.short", "write.EINTR", "write.EAGAIN",
                "write.short");
    }

    @ParameterizedTest
    @EnumSource(names = {"TCP", "UNIX"})
    void everyConnectionIsServedWhenAcceptIsInterruptedWouldBlockOrLosesAConnection(Transport transport,
                                                                                   @TempDir Path directory)
            throws Exception {
        FaultCounters counted = serve(transport, directory, streams(MANY_CONNECTIONS), "accept-retry",
                "accept-aborted");
        assertInjected(counted, "accept4.EAGAIN", "accept4.EINTR", "accept4.ECONNABORTED", "accept4.EPROTO",
                "accept4.EPERM");
        assertEquals(CONNECTIONS, counted.get("seen.accepted"), "connections accepted; " + counted);
    }

    /**
     * accept(2): the pending network errors "should be treated like EAGAIN by retrying". A
     * listener that pauses on them (it did, for 100 ms each) leaves connections waiting
     * while its loop has nothing to do.
     */
    @ParameterizedTest
    @EnumSource(names = {"TCP", "UNIX"})
    void pendingNetworkErrorsOfAcceptAreRetriedWithoutPausingTheListener(Transport transport,
                                                                        @TempDir Path directory) throws Exception {
        FaultCounters counted = serve(transport, directory, streams(MANY_CONNECTIONS), "accept-network");
        assertInjected(counted, "accept4.ENETDOWN", "accept4.ENOPROTOOPT", "accept4.EHOSTDOWN", "accept4.ENONET",
                "accept4.EHOSTUNREACH", "accept4.EOPNOTSUPP", "accept4.ENETUNREACH");
        assertEquals(CONNECTIONS, counted.get("seen.accepted"), "connections accepted; " + counted);
        assertEquals(0, counted.get("seen.listener_paused"), "times a listener was taken out of reading; "
                + counted);
    }

    @ParameterizedTest
    @EnumSource
    void everyByteComesBackWhenEpollWaitIsInterruptedOrReturnsFewerEvents(Transport transport,
                                                                          @TempDir Path directory) throws Exception {
        FaultCounters counted = serve(transport, directory, clients(transport, MIXED), "epoll-wait");
        assertInjected(counted, "epoll_wait.EINTR", "epoll_wait.fewer");
    }

    @Test
    void everyDatagramComesBackWhenRecvmmsgIsInterruptedWouldBlockOrTakesFewer(@TempDir Path directory)
            throws Exception {
        FaultCounters counted = serve(Transport.UDP, directory, datagrams(DATAGRAMS), "recvmmsg");
        assertInjected(counted, "recvmmsg.EINTR", "recvmmsg.EAGAIN", "recvmmsg.fewer");
    }

    /**
     * Guards the loss of replies that sendmmsg's EAGAIN or EINTR caused: with its 32 send
     * slots full, an endpoint went on receiving, and the reply to a datagram received then
     * was dropped. One loop, so that the 64 datagrams in flight meet one endpoint, and
     * faults in 40% of the calls: at 20% with two loops, one run in two lost none.
     */
    @Test
    void everyDatagramComesBackWhenSendmmsgIsInterruptedWouldBlockOrSendsFewer(@TempDir Path directory)
            throws Exception {
        FaultCounters counted = serve(Transport.UDP, directory, 1, 40, datagrams(DATAGRAMS), "sendmmsg");
        assertInjected(counted, "sendmmsg.EINTR", "sendmmsg.EAGAIN", "sendmmsg.fewer");
    }

    @ParameterizedTest
    @EnumSource
    void everyByteComesBackUnderEveryFaultAtOnce(Transport transport, @TempDir Path directory) throws Exception {
        FaultCounters counted = serve(transport, directory, clients(transport, MIXED), "all");
        List<String> calls = transport == Transport.UDP ? List.of("epoll_wait", "recvmmsg", "sendmmsg")
                : List.of("epoll_wait", "accept4", "read", "write");
        for (String call : calls) {
            assertTrue(counted.injected().keySet().stream().anyMatch(fault -> fault.startsWith(call + ".")),
                    "no fault injected into " + call + "; " + counted);
        }
    }

    private static void assertInjected(FaultCounters counted, String... faults) {
        for (String fault : faults) {
            assertTrue(counted.get(fault) > 0, fault + " was never injected; " + counted);
        }
    }

    /**
     * Starts the echo server with {@code families} of faults, runs {@code clients} against
     * it, checks what the server leaves behind, stops it and returns the shim's counts over
     * the clients' run.
     */
    private static FaultCounters serve(Transport transport, Path directory, Clients clients, String... families)
            throws Exception {
        return serve(transport, directory, LOOPS, PERCENT, clients, families);
    }

    /**
     * As {@link #serve(Transport, Path, Clients, String...)}, on {@code loops} event loops,
     * with faults in {@code percent} percent of the calls.
     */
    private static FaultCounters serve(Transport transport, Path directory, int loops, int percent, Clients clients,
                                       String... families) throws Exception {
        Path counters = directory.resolve("counters");
        Path socket = directory.resolve("echo.sock");
        List<String> args = switch (transport) {
            case TCP -> List.of("--port", "0", "--threads", Integer.toString(loops));
            case UNIX -> List.of("--unix", socket.toString(), "--threads", Integer.toString(loops));
            case UDP -> List.of("--udp", "--port", "0", "--threads", Integer.toString(loops));
        };
        List<String> preload = FaultShim.preload(counters, 18 + transport.ordinal(), percent, families);
        try (EchoServerProcess server = EchoServerProcess.start(preload, List.of(),
                EchoServerProcess.classes(), args.toArray(String[]::new))) {
            SocketAddress address = address(server, transport, socket);
            long pid = server.process().pid();
            Map<Integer, String> fds = OpenFds.snapshot(pid);
            FaultCounters before = FaultCounters.read(counters);
            try {
                clients.run(address);
            } catch (AssertionError e) {
                FaultCounters counted = FaultCounters.read(counters).minus(before);
                long unanswered = counted.get("seen.datagrams_received") - counted.get("seen.datagrams_sent");
                throw new AssertionError(e.getMessage() + (unanswered > 0 ? "; the server received " + unanswered
                        + " more datagrams than it sent: it dropped echoes" : "") + "; the shim's counts: "
                        + counted, e);
            }
            FaultCounters counted = FaultCounters.read(counters).minus(before);
            assertFdsReturnTo(fds, pid, counted);
            assertNoSpin(counted, counters);

            server.process().destroy(); // SIGTERM
            assertEquals(0, server.awaitExit(), "exit status; stderr: " + server.stderr());
            assertEquals("", server.stderr(), "the server's stderr (what its loops reported) under " + counted);
            return counted;
        }
    }

    private static SocketAddress address(EchoServerProcess server, Transport transport, Path socket)
            throws Exception {
        if (transport == Transport.TCP) {
            return server.awaitListening();
        }
        String line = server.nextLine();
        if (transport == Transport.UNIX) {
            assertEquals("listening on unix:" + socket, line, "stderr: " + server.stderr());
            return UnixDomainSocketAddress.of(socket);
        }
        String prefix = "listening on udp ";
        assertTrue(line != null && line.startsWith(prefix), "expected '" + prefix + "HOST:PORT', got " + line
                + "; stderr: " + server.stderr());
        String hostPort = line.substring(prefix.length());
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(InetAddress.getByName(hostPort.substring(0, colon)),
                Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /**
     * Checks that the loops waited in proportion to their I/O while the clients ran ({@code
     * counted}), and made next to no calls once they had gone. Each wait that returns events
     * leads to a read (an eventfd's too), write, writev, accept4, recvmmsg or sendmmsg, and a
     * wait that a fault interrupts or shortens costs one more: a loop spinning on an event it
     * does not handle waits thousands of times for each.
     */
    private static void assertNoSpin(FaultCounters counted, Path counters) throws Exception {
        long io = counted.calls() - counted.get("calls.epoll_wait") - counted.get("calls.epoll_ctl");
        assertTrue(counted.get("calls.epoll_wait") <= 2 * io + 100, "the loops waited more than twice for each"
                + " call that did I/O: " + counted);
        FaultCounters idleStart = FaultCounters.read(counters);
        Thread.sleep(IDLE_MILLIS);
        FaultCounters idle = FaultCounters.read(counters).minus(idleStart);
        assertTrue(idle.calls() <= IDLE_CALLS, "the loops made " + idle.calls() + " calls in " + IDLE_MILLIS
                + " ms with no client (at most " + IDLE_CALLS + "): " + idle);
    }

    /** Waits until every fd the server opened since {@code before} is closed; fails naming those that stay. */
    private static void assertFdsReturnTo(Map<Integer, String> before, long pid, FaultCounters counted)
            throws InterruptedException {
        long start = System.nanoTime();
        while (!OpenFds.openedSince(pid, before).isEmpty() && System.nanoTime() - start < SETTLE_NANOS) {
            Thread.sleep(10);
        }
        assertEquals(Map.of(), OpenFds.openedSince(pid, before), "fds the server opened and still holds "
                + SETTLE_NANOS / 1_000_000_000L + " s after its clients closed (it had " + before.size()
                + "); faults " + counted);
    }
}
