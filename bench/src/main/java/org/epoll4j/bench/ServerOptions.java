// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * The command line of the benchmark echo servers.
 *
 * <pre>
 * --host H --port P       TCP (or, with --udp, UDP) address; port 0 for any free port
 * --threads N             event-loop threads (default 1)
 * --unix PATH             a Unix domain stream socket at PATH instead of TCP
 * --udp                   UDP: each datagram echoed to its sender
 * --executor pool|virtual the off-loop servers: a fixed pool of --workers threads, or a
 *                         virtual thread per request
 * --workers N             threads of the fixed pool (default: available processors)
 * </pre>
 *
 * <p>Each server accepts only the flags it implements ({@link #allowOnly}) and exits with an
 * error on the others, so bench/run can tell a server that lacks a flag. Once ready, a server
 * prints exactly one line, {@code listening on HOST:PORT} ({@code listening on unix:PATH},
 * {@code listening on udp HOST:PORT}), which bench/run waits for.
 *
 * @param host numeric address to listen on
 * @param port port to listen on; 0 for any free port
 * @param threads event-loop threads
 * @param unixPath Unix socket path, or null for TCP/UDP
 * @param udp whether to echo datagrams
 * @param executor "pool" or "virtual" for the off-loop servers, else null
 * @param workers threads of the "pool" executor
 * @param given the flags given on the command line
 */
record ServerOptions(String host, int port, int threads, String unixPath, boolean udp, String executor,
        int workers, String tlsCert, String tlsKey, Set<String> given) {

    /** Backlog for every listener: 18,000 idle connections arrive in bursts. */
    static final int BACKLOG = 4096;

    static ServerOptions parse(String[] args) {
        String host = "127.0.0.1";
        int port = 0;
        int threads = 1;
        String unixPath = null;
        boolean udp = false;
        String executor = null;
        int workers = Runtime.getRuntime().availableProcessors();
        String tlsCert = null;
        String tlsKey = null;
        List<String> given = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            given.add(flag);
            switch (flag) {
                case "--host" -> host = value(args, ++i, flag);
                case "--port" -> port = Integer.parseInt(value(args, ++i, flag));
                case "--threads" -> threads = Integer.parseInt(value(args, ++i, flag));
                case "--unix" -> unixPath = value(args, ++i, flag);
                case "--udp" -> udp = true;
                case "--executor" -> executor = value(args, ++i, flag);
                case "--workers" -> workers = Integer.parseInt(value(args, ++i, flag));
                case "--tls-cert" -> tlsCert = value(args, ++i, flag);
                case "--tls-key" -> tlsKey = value(args, ++i, flag);
                default -> throw new IllegalArgumentException("unknown argument '" + flag + "'; usage: --host ADDR"
                        + " --port PORT [--threads N] [--unix PATH] [--udp] [--executor pool|virtual] [--workers N]"
                        + " [--tls-cert PEM --tls-key PEM]");
            }
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (threads < 1 || workers < 1) {
            throw new IllegalArgumentException("--threads and --workers must be at least 1");
        }
        if (executor != null && !executor.equals("pool") && !executor.equals("virtual")) {
            throw new IllegalArgumentException("--executor must be pool or virtual, got " + executor);
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        return new ServerOptions(host, port, threads, unixPath, udp, executor, workers, tlsCert, tlsKey,
                Set.copyOf(given));
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    /** Fails on any flag given but {@code --host}, {@code --port} and those listed. */
    ServerOptions allowOnly(String server, String... flags) {
        Set<String> allowed = Set.of(flags);
        for (String flag : given) {
            if (flag.startsWith("--") && !flag.equals("--host") && !flag.equals("--port") && !allowed.contains(flag)) {
                throw new IllegalArgumentException(server + " does not support " + flag);
            }
        }
        return this;
    }

    /**
     * A blocking listener on {@link #address()}, bound and announced: the JDK's
     * {@code SSLServerSocket} with --tls-cert (the JDK provider, through Netty's PEM reader),
     * else a plain {@code ServerSocket}. For the virtual-thread servers.
     */
    ServerSocket blockingListener() throws IOException {
        ServerSocket listener;
        if (tlsCert == null) {
            listener = new ServerSocket();
        } else {
            SSLContext context = ((JdkSslContext) SslContextBuilder.forServer(new File(tlsCert), new File(tlsKey))
                    .sslProvider(SslProvider.JDK).build()).context();
            listener = context.getServerSocketFactory().createServerSocket();
        }
        listener.setReuseAddress(true);
        listener.bind(address(), BACKLOG);
        announce((InetSocketAddress) listener.getLocalSocketAddress());
        return listener;
    }

    InetSocketAddress address() {
        return new InetSocketAddress(host, port);
    }

    /** Prints the ready line bench/run waits for. */
    static void announce(InetSocketAddress bound) {
        System.out.println("listening on " + bound.getHostString() + ":" + bound.getPort());
        System.out.flush();
    }

    /** Prints the ready line of a UDP server. */
    static void announceUdp(InetSocketAddress bound) {
        System.out.println("listening on udp " + bound.getHostString() + ":" + bound.getPort());
        System.out.flush();
    }

    /** Prints the ready line of a Unix socket server, and removes the socket file at exit (SIGTERM included). */
    static void announceUnix(String path) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Files.deleteIfExists(Path.of(path));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }));
        System.out.println("listening on unix:" + path);
        System.out.flush();
    }
}
