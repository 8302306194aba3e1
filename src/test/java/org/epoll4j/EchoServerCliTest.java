// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The echo server from the command line, as a child JVM: its output, its echo, its exit codes. */
@Tag("host") // not under emulation: see the "emulated" profile in pom.xml (.ci/echo-jar runs the jar there)
class EchoServerCliTest {
    @Test
    @Timeout(60)
    void itPrintsItsAddressEchoesAndExitsZeroOnSigterm() throws Exception {
        try (EchoServerProcess server = EchoServerProcess.start("--port", "0")) {
            InetSocketAddress address = server.awaitListening();
            assertEquals(InetAddress.getByName("127.0.0.1"), address.getAddress());
            try (Socket client = EchoClient.connect(address)) {
                Random random = new Random(12);
                byte[] payload = new byte[256 * 1024];
                random.nextBytes(payload);
                assertArrayEquals(payload, EchoClient.echo(client, payload, random));

                server.process().destroy(); // SIGTERM
                assertEquals(0, server.awaitExit(), "exit status; stderr: " + server.stderr());
                assertTrue(EchoClient.hasEnded(client), "the server closed its connection");
            }
            assertEquals("", server.stderr(), "stderr (no JVM warnings, nothing at all)");
            assertEquals("", server.restOfStdout());
        }
    }

    @Test
    @Timeout(60)
    void withThreeThreadsItEchoesOnEveryLoop() throws Exception {
        try (EchoServerProcess server = EchoServerProcess.start("--port", "0", "--threads", "3")) {
            InetSocketAddress address = server.awaitListening();
            for (int i = 0; i < 30; i++) {
                try (Socket client = EchoClient.connect(address)) {
                    EchoClient.assertEchoes(client, "client " + i);
                }
            }
            server.process().destroy();
            assertEquals(0, server.awaitExit(), "exit status; stderr: " + server.stderr());
            assertEquals("", server.stderr());
        }
    }

    @Test
    @Timeout(60)
    void withUnixItEchoesOnTheSocketFileAndRemovesItOnExit(@TempDir Path directory) throws Exception {
        Path path = directory.resolve("echo.sock");
        try (EchoServerProcess server = EchoServerProcess.start("--unix", path.toString())) {
            assertEquals("listening on unix:" + path, server.nextLine());
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                client.write(ByteBuffer.wrap("over a Unix socket".getBytes(StandardCharsets.US_ASCII)));
                ByteBuffer back = ByteBuffer.allocate(18);
                while (back.hasRemaining() && client.read(back) >= 0) {
                    // until the echo is whole
                }
                assertEquals("over a Unix socket", new String(back.array(), StandardCharsets.US_ASCII));
            }
            server.process().destroy();
            assertEquals(0, server.awaitExit(), "exit status; stderr: " + server.stderr());
            assertFalse(Files.exists(path), "the socket file is removed");
        }
    }

    @Test
    @Timeout(60)
    void withUdpItEchoesEachDatagramToItsSender() throws Exception {
        try (EchoServerProcess server = EchoServerProcess.start("--udp", "--port", "0", "--threads", "2")) {
            String line = server.nextLine();
            assertTrue(line.startsWith("listening on udp 127.0.0.1:"), line);
            int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
            for (int i = 0; i < 20; i++) {
                try (DatagramChannel client = DatagramChannel.open()) {
                    client.connect(new InetSocketAddress("127.0.0.1", port));
                    client.write(ByteBuffer.wrap(("datagram " + i).getBytes(StandardCharsets.US_ASCII)));
                    ByteBuffer back = ByteBuffer.allocate(100);
                    client.read(back);
                    assertEquals("datagram " + i, new String(back.array(), 0, back.position(), StandardCharsets.US_ASCII));
                }
            }
            server.process().destroy();
            assertEquals(0, server.awaitExit(), "exit status; stderr: " + server.stderr());
        }
    }

    @Test
    @Timeout(60)
    void withUdpItEchoesTheLongestDatagramWhole() throws Exception {
        // Guards a bug (#18): the endpoints held 2,048 bytes a datagram, and a 60,000-byte
        // datagram came back as its first 2,048.
        try (EchoServerProcess server = EchoServerProcess.start("--udp", "--port", "0", "--threads", "1");
             DatagramChannel client = DatagramChannel.open()) {
            String line = server.nextLine();
            client.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(line.substring(line.lastIndexOf(':') + 1))));
            for (int size : new int[] {60_000, 65_507}) {
                byte[] sent = new byte[size];
                new java.util.Random(size).nextBytes(sent);
                client.write(ByteBuffer.wrap(sent));
                ByteBuffer back = ByteBuffer.allocate(65_536);
                client.read(back);
                assertEquals(size, back.position(), "the datagram's length");
                assertArrayEquals(sent, java.util.Arrays.copyOf(back.array(), back.position()));
            }
        }
    }

    @Test
    @Timeout(60)
    void sigintAlsoStopsItWithExitZero() throws Exception {
        try (EchoServerProcess server = EchoServerProcess.start("--port", "0")) {
            try (Socket client = EchoClient.connect(server.awaitListening())) {
                EchoClient.assertEchoes(client, "before SIGINT");
            }
            // No pipes: the JDK would close them after the exit, on its own thread, while other tests count fds.
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(server.process().pid())).inheritIO().start();
            assertEquals(0, kill.waitFor());
            assertEquals(0, server.awaitExit(), "exit status; stderr: " + server.stderr());
            assertEquals("", server.stderr());
        }
    }

    @Test
    @Timeout(60)
    void itListensOnIpv6LoopbackWithTheAddressInBrackets() throws Exception {
        assumeTrue(canBind(InetAddress.getByName("::1")), "::1 is not available on this machine");
        try (EchoServerProcess server = EchoServerProcess.start("--host", "::1", "--port", "0")) {
            InetSocketAddress address = server.awaitListening();
            assertEquals(InetAddress.getByName("::1"), address.getAddress());
            try (Socket client = EchoClient.connect(address)) {
                EchoClient.assertEchoes(client, "over IPv6");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"--bogus", "--port x", "--port", "--port 70000", "--port -1", "--host", "--threads 0",
        "--threads x", "--threads", "--unix /tmp/x.sock --udp", "--unix /tmp/x.sock --reuse-port", "--stats 0",
        "--stats x"})
    @Timeout(60)
    void badArgumentsExitTwoWithUsageOnStderr(String arguments) throws Exception {
        try (EchoServerProcess server = EchoServerProcess.start(arguments.split(" "))) {
            assertEquals(2, server.awaitExit(), "exit status for " + arguments);
            assertTrue(server.stderr().contains("usage:"), "stderr: " + server.stderr());
            assertEquals("", server.restOfStdout(), "stdout");
        }
    }

    @Test
    @Timeout(60)
    void aPortInUseExitsOneWithOneLineNamingEaddrinuse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
             EchoServerProcess server = EchoServerProcess.start("--port", Integer.toString(taken.getLocalPort()))) {
            assertEquals(1, server.awaitExit(), "exit status; stderr: " + server.stderr());
            List<String> lines = server.stderr().lines().toList();
            assertEquals(1, lines.size(), "stderr: " + lines);
            assertTrue(lines.get(0).contains("EADDRINUSE"), lines.get(0));
            assertEquals("", server.restOfStdout(), "stdout");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "udp"})
    @Timeout(90)
    void aSecondServerOnThePortOfAnotherExitsOneWithEaddrinuse(String transport) throws Exception {
        // Guards a bug (#18): with SO_REUSEPORT on by default, a second echo server started
        // on a port another one served, printed "listening on", and took part of its traffic.
        String[] mode = transport.equals("udp") ? new String[] {"--udp"} : new String[0];
        try (EchoServerProcess first = EchoServerProcess.start(with(mode, "--port", "0", "--threads", "2"))) {
            String line = first.nextLine();
            String port = line.substring(line.lastIndexOf(':') + 1);
            try (EchoServerProcess second = EchoServerProcess.start(with(mode, "--port", port, "--threads", "1"))) {
                assertEquals(1, second.awaitExit(), "exit status; stdout: " + second.restOfStdout());
                List<String> lines = second.stderr().lines().toList();
                assertEquals(1, lines.size(), "stderr: " + lines);
                assertTrue(lines.get(0).contains("EADDRINUSE"), lines.get(0));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "udp"})
    @Timeout(90)
    void withReusePortTwoServersShareThePort(String transport) throws Exception {
        String[] mode = transport.equals("udp") ? new String[] {"--udp", "--reuse-port"} : new String[] {"--reuse-port"};
        try (EchoServerProcess first = EchoServerProcess.start(with(mode, "--port", "0", "--threads", "1"))) {
            String line = first.nextLine();
            String port = line.substring(line.lastIndexOf(':') + 1);
            try (EchoServerProcess second = EchoServerProcess.start(with(mode, "--port", port, "--threads", "1"))) {
                assertTrue(second.nextLine().endsWith(":" + port), "the second listens on the same port");
            }
        }
    }

    private static String[] with(String[] first, String... rest) {
        String[] all = java.util.Arrays.copyOf(first, first.length + rest.length);
        System.arraycopy(rest, 0, all, first.length, rest.length);
        return all;
    }

    @Test
    @Timeout(60)
    void statsPrintsALineOfMetricsEveryInterval() throws Exception {
        try (EchoServerProcess server = EchoServerProcess.start("--port", "0", "--threads", "2", "--stats", "1")) {
            InetSocketAddress address = server.awaitListening();
            try (Socket first = EchoClient.connect(address); Socket second = EchoClient.connect(address)) {
                EchoClient.assertEchoes(first, "counted");
                EchoClient.assertEchoes(second, "counted");
                Pattern stats = Pattern.compile("stats: (\\d+) connections, 0 bytes queued; in 1 s: \\d+ turns,"
                        + " \\d+ wake-ups, \\d+ tasks, busy \\d+\\.\\d%");
                String line;
                Matcher match;
                do { // the first lines may come before both connections are counted
                    line = server.nextLine();
                    match = stats.matcher(line == null ? "" : line);
                    assertTrue(match.matches(), "not a stats line: " + line);
                } while (!match.group(1).equals("2"));
            }
        }
    }

    @Test
    @Timeout(60)
    void helpPrintsUsageAndExitsZero() throws Exception {
        try (EchoServerProcess server = EchoServerProcess.start("--help")) {
            assertEquals(0, server.awaitExit());
            assertTrue(server.restOfStdout().contains("usage:"));
            assertEquals("", server.stderr());
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
