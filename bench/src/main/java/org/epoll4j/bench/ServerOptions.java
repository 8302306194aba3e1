package org.epoll4j.bench;

import java.net.InetSocketAddress;

/**
 * The command line every benchmark echo server accepts: {@code --host H --port P}.
 *
 * <p>Port 0 asks the kernel for any free port. Once bound, a server prints exactly one
 * line, {@code listening on HOST:PORT}, which bench/run waits for.
 *
 * @param host numeric address to listen on
 * @param port port to listen on; 0 for any free port
 */
record ServerOptions(String host, int port) {

    /** Backlog for every listener: 18,000 idle connections arrive in bursts. */
    static final int BACKLOG = 4096;

    static ServerOptions parse(String[] args) {
        String host = "127.0.0.1";
        int port = 0;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--host") && i + 1 < args.length) {
                host = args[++i];
            } else if (args[i].equals("--port") && i + 1 < args.length) {
                port = Integer.parseInt(args[++i]);
            } else {
                throw new IllegalArgumentException("unknown argument '" + args[i]
                        + "'; usage: --host ADDR --port PORT");
            }
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        return new ServerOptions(host, port);
    }

    InetSocketAddress address() {
        return new InetSocketAddress(host, port);
    }

    /** Prints the ready line bench/run waits for. */
    static void announce(InetSocketAddress bound) {
        System.out.println("listening on " + bound.getHostString() + ":" + bound.getPort());
        System.out.flush();
    }
}
