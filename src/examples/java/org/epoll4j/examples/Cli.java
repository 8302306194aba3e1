// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.examples;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.epoll4j.EventLoop;
import org.epoll4j.EventLoopGroup;
import org.epoll4j.HandlerFactory;
import org.epoll4j.Tls;
import org.epoll4j.epoll.ErrnoException;
import sun.misc.Signal;

/**
 * The command line that the examples share: arguments read one by one, bad ones exit 2
 * with the usage on stderr, {@code --help} prints it and exits 0, a failure to listen exits
 * 1 with one line, {@code listening on HOST:PORT} once ready, and SIGINT or SIGTERM to stop.
 */
final class Cli {
    private final String name;
    private final String usage;
    private final String[] args;
    private int next;

    /** The arguments {@code args} of the example called {@code name} (for messages), whose usage is {@code usage}. */
    Cli(String name, String usage, String[] args) {
        this.name = name;
        this.usage = usage;
        this.args = args;
    }

    /** The next argument, or null once none is left; {@code --help} and {@code -h} print the usage and exit 0. */
    String next() {
        if (next == args.length) {
            return null;
        }
        String arg = args[next++];
        if (arg.equals("--help") || arg.equals("-h")) {
            System.out.println(usage);
            System.exit(0);
        }
        return arg;
    }

    /** The value of the option just read. */
    String value() {
        if (next == args.length) {
            fail(args[next - 1] + " needs a value");
        }
        return args[next++];
    }

    /** The value of the option just read, a number from {@code min} to {@code max}; {@code what} names it. */
    int number(int min, int max, String what) {
        String value = value();
        try {
            int number = Integer.parseInt(value);
            if (number >= min && number <= max) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        fail(what + " must be a number from " + min + " to " + max + ": " + value);
        return -1;
    }

    /** Exits 2, saying what is wrong and how to use the example. */
    void fail(String problem) {
        System.err.println(name + ": " + problem);
        System.err.println(usage);
        System.exit(2);
    }

    /** {@code host}'s address and {@code port}, or a usage error for an unknown host. */
    InetSocketAddress address(String host, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            fail("unknown host: " + host);
            return null;
        }
    }

    /**
     * The server side of TLS from the PEM files of {@code --tls-cert} and {@code --tls-key}
     * ({@code certFile} and {@code keyFile}), with ALPN for {@code protocols} if any, or null
     * if neither file was given; a usage error if only one was, and exit 1, saying why, if
     * they cannot serve.
     */
    Tls tls(String certFile, String keyFile, String... protocols) {
        if (certFile == null && keyFile == null) {
            return null;
        }
        if (certFile == null || keyFile == null) {
            fail("--tls-cert and --tls-key go together");
        }
        try {
            return Tls.server(TlsFiles.serverContext(Path.of(certFile), Path.of(keyFile)))
                    .withApplicationProtocols(protocols);
        } catch (TlsFiles.Unusable e) {
            System.err.println(name + ": " + e.getMessage());
            System.exit(1);
            return null;
        } catch (InvalidPathException e) {
            fail("not a path: " + e.getInput());
            return null;
        }
    }

    /** Exits 1, saying why the example cannot listen on {@code address}. */
    void cannotListen(SocketAddress address, ErrnoException e) {
        System.err.println(name + ": cannot listen on " + format(address) + ": " + e.getMessage());
        System.exit(1);
    }

    /**
     * Serves {@code address} on a group of {@code threads} loops, with {@code tls} unless it
     * is null, each connection's handler made by the factory that {@code perLoop} makes for
     * its loop, until SIGINT or SIGTERM;
     * then closes everything and exits 0 (1 if it cannot listen).
     */
    void serve(int threads, InetSocketAddress address, Tls tls, Function<EventLoop, HandlerFactory> perLoop)
            throws ErrnoException, InterruptedException {
        try (EventLoopGroup group = EventLoopGroup.open(threads)) {
            String listening;
            try {
                EventLoopGroup.Sharing sharing = EventLoopGroup.Sharing.REUSE_PORT;
                listening = format((tls == null ? group.listen(address, perLoop, sharing)
                        : group.listen(address, tls, perLoop, sharing)).localAddress());
            } catch (ErrnoException e) {
                cannotListen(address, e);
                return;
            }
            serveUntilSignalled(listening);
        } // closes the server, the connections and the loops, and waits for their threads
        System.exit(0);
    }

    /** Prints {@code listening on ADDRESS}, then waits for SIGINT or SIGTERM. */
    static void serveUntilSignalled(String address) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        System.out.println("listening on " + address);
        System.out.flush();
        stop.await();
    }

    /** HOST:PORT, an IPv6 host in brackets, or unix:PATH. */
    static String format(SocketAddress address) {
        if (address instanceof UnixDomainSocketAddress unix) {
            return "unix:" + unix.getPath();
        }
        InetSocketAddress inet = (InetSocketAddress) address;
        String host = inet.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
}
