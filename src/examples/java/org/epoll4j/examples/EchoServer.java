// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.examples;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.InvalidPathException;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.Datagram;
import org.epoll4j.EventLoopGroup;
import org.epoll4j.ListenOption;
import org.epoll4j.LoopMetrics;
import org.epoll4j.Server;
import org.epoll4j.Tls;
import org.epoll4j.UdpEndpoint;
import org.epoll4j.epoll.ErrnoException;

/**
 * The example echo server: writes back every byte it reads, in order, on an
 * {@link EventLoopGroup} of one loop per processor (or {@code --threads N}).
 *
 * <pre>
 * java -jar target/epoll4j-echo-server.jar [--host 127.0.0.1] [--port 7007 | --unix PATH] [--threads N]
 * </pre>
 *
 * <p>It prints {@code listening on HOST:PORT} ({@code listening on unix:PATH}, {@code listening
 * on udp HOST:PORT}) once ready. SIGINT or SIGTERM stops it:
 * it stops accepting, closes its connections and exits 0. Bad arguments exit 2; a
 * failure to listen (EADDRINUSE, ...) exits 1.
 */
public final class EchoServer {
    /** The longest UDP datagram over IPv4 (65,507 bytes) or IPv6 (65,527), and then some: none is cut. */
    private static final int MAX_DATAGRAM = 65_535;
    private static final String USAGE = """
            usage: java -jar epoll4j-echo-server.jar [--host HOST] [--port PORT | --unix PATH] [--udp] [--threads N] [--sharing MODE] [--reuse-port] [--stats SECONDS] [--tls-cert PEM --tls-key PEM]
              --host HOST       address to listen on (default 127.0.0.1)
              --port PORT       port to listen on, 0 for any free port (default 7007)
              --unix PATH       listen on a Unix domain socket at PATH instead (a file, removed on exit)
              --udp             echo UDP datagrams on HOST:PORT instead, each whole to its sender
              --threads N       event loops, each on a thread of its own (default: one per processor)
              --sharing MODE    how the loops share the port: reuse-port (default) or hand-off
              --reuse-port      share the port with other servers that ask to (SO_REUSEPORT); without
                                it, a port where another socket listens fails with EADDRINUSE
              --stats SECONDS   print the loops' metrics every SECONDS (1 to 3600)
              --tls-cert PEM    speak TLS, with this certificate chain (the server's first) ...
              --tls-key PEM     ... and its private key (PKCS#8, unencrypted)
              --help            print this and exit""";

    private EchoServer() {}

    public static void main(String[] args) throws ErrnoException, InterruptedException {
        Cli cli = new Cli("echo server", USAGE, args);
        Options options = parse(cli);
        try (EventLoopGroup group = EventLoopGroup.open(options.threads())) {
            String listening;
            try {
                ListenOption[] share = options.reusePort() ? new ListenOption[] {ListenOption.REUSE_PORT}
                        : new ListenOption[0];
                listening = options.udp()
                        ? "udp " + Cli.format(group.bindUdp((InetSocketAddress) options.address(), MAX_DATAGRAM,
                                EchoServer::echo, share).getFirst().localAddress())
                        : Cli.format(listen(group, options, share).localAddress());
            } catch (ErrnoException e) {
                cli.cannotListen(options.address(), e);
                return;
            }
            if (options.statsSeconds() > 0) {
                Thread.ofPlatform().daemon().name("echo-stats").start(() -> printStats(group, options.statsSeconds()));
            }
            Cli.serveUntilSignalled(listening);
        } // closes the servers, connections and loops, and waits for their threads
        System.exit(0);
    }

    private static Server listen(EventLoopGroup group, Options options, ListenOption[] share) throws ErrnoException {
        Echo echo = new Echo();
        if (options.tls() == null) {
            return group.listen(options.address(), echo, options.sharing(), share);
        }
        return group.listen(options.address(), options.tls(), loop -> connection -> echo, options.sharing(), share);
    }

    /** Prints one line of the group's metrics every {@code seconds}: levels now, counts over the interval. */
    private static void printStats(EventLoopGroup group, int seconds) {
        LoopMetrics last = group.metrics();
        while (true) {
            try {
                Thread.sleep(seconds * 1000L);
            } catch (InterruptedException e) {
                return;
            }
            LoopMetrics now = group.metrics();
            LoopMetrics interval = now.minus(last);
            last = now;
            System.out.printf("stats: %d connections, %d bytes queued; in %d s: %d turns, %d wake-ups, %d tasks,"
                    + " busy %.1f%%%n", interval.connections(), interval.bytesQueued(), seconds, interval.turns(),
                    interval.wakeups(), interval.tasksRun(), 100 * interval.busyFraction());
            System.out.flush();
        }
    }

    /**
     * Echoes a datagram to its sender, whole: the endpoints hold the longest a UDP datagram
     * can be, so none is cut (one said truncated would be dropped, never echoed cut). The
     * reply always has a slot: an endpoint receives only while none of its datagrams waits
     * for the kernel.
     */
    private static void echo(UdpEndpoint endpoint, Datagram datagram) {
        if (!datagram.truncated()) {
            datagram.reply(datagram.data());
        }
    }

    /** What the command line asked for. */
    private record Options(SocketAddress address, int threads, EventLoopGroup.Sharing sharing, boolean reusePort,
                           boolean udp, int statsSeconds, Tls tls) {}

    /** Echoes, and stops reading from a client while its echo waits above the high-water mark. */
    static final class Echo implements ConnectionHandler {
        @Override
        public void onData(Connection connection, ByteBuffer data) {
            connection.write(data);
            if (!connection.isWritable()) {
                connection.pauseReading();
            }
        }

        @Override
        public void onWritable(Connection connection) {
            connection.resumeReading();
        }
    }

    private static Options parse(Cli cli) {
        String host = "127.0.0.1";
        int port = 7007;
        int threads = Runtime.getRuntime().availableProcessors();
        EventLoopGroup.Sharing sharing = EventLoopGroup.Sharing.REUSE_PORT;
        String unix = null;
        boolean udp = false;
        boolean reusePort = false;
        int statsSeconds = 0;
        String certFile = null;
        String keyFile = null;
        for (String arg; (arg = cli.next()) != null; ) {
            switch (arg) {
                case "--host" -> host = cli.value();
                case "--port" -> port = cli.number(0, 65535, "port");
                case "--threads" -> threads = cli.number(1, 1024, "threads");
                case "--sharing" -> sharing = sharing(cli, cli.value());
                case "--unix" -> unix = cli.value();
                case "--udp" -> udp = true;
                case "--reuse-port" -> reusePort = true;
                case "--stats" -> statsSeconds = cli.number(1, 3600, "stats seconds");
                case "--tls-cert" -> certFile = cli.value();
                case "--tls-key" -> keyFile = cli.value();
                default -> cli.fail("unknown argument: " + arg);
            }
        }
        if (unix != null && udp) {
            cli.fail("--unix and --udp do not go together");
        }
        if (unix != null && reusePort) {
            cli.fail("--reuse-port is for TCP and UDP ports, not --unix");
        }
        if (udp && (certFile != null || keyFile != null)) {
            cli.fail("TLS is for streams: --tls-cert and --tls-key do not go with --udp");
        }
        Tls tls = cli.tls(certFile, keyFile);
        if (unix != null) {
            try {
                return new Options(UnixDomainSocketAddress.of(unix), threads, sharing, reusePort, false, statsSeconds,
                        tls);
            } catch (InvalidPathException e) {
                cli.fail("not a path: " + unix);
            }
        }
        return new Options(cli.address(host, port), threads, sharing, reusePort, udp, statsSeconds, tls);
    }

    private static EventLoopGroup.Sharing sharing(Cli cli, String value) {
        return switch (value) {
            case "reuse-port" -> EventLoopGroup.Sharing.REUSE_PORT;
            case "hand-off" -> EventLoopGroup.Sharing.HAND_OFF;
            default -> {
                cli.fail("sharing must be reuse-port or hand-off: " + value);
                yield null;
            }
        };
    }
}
