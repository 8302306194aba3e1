package org.epoll4j.examples;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.concurrent.RejectedExecutionException;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.EventLoop;
import org.epoll4j.Server;
import org.epoll4j.epoll.ErrnoException;
import sun.misc.Signal;

/**
 * The example echo server: writes back every byte it reads, in order, on one
 * {@link EventLoop}.
 *
 * <pre>
 * java -jar target/epoll4j.jar [--host 127.0.0.1] [--port 7007]
 * </pre>
 *
 * <p>It prints {@code listening on HOST:PORT} once ready. SIGINT or SIGTERM stops it:
 * it stops accepting, closes its connections and exits 0. Bad arguments exit 2; a
 * failure to listen (EADDRINUSE, ...) exits 1.
 */
public final class EchoServer {
    private static final String USAGE = """
            usage: java -jar epoll4j.jar [--host HOST] [--port PORT]
              --host HOST   address to listen on (default 127.0.0.1)
              --port PORT   port to listen on, 0 for any free port (default 7007)
              --help        print this and exit""";

    private EchoServer() {}

    public static void main(String[] args) throws ErrnoException {
        InetSocketAddress address = parse(args);
        try (EventLoop loop = EventLoop.open()) {
            Server server;
            try {
                server = loop.listen(address, new Echo());
            } catch (ErrnoException e) {
                System.err.println("echo server: cannot listen on " + format(address) + ": " + e.getMessage());
                System.exit(1);
                return;
            }
            Runnable shutdown = () -> {
                try {
                    loop.execute(() -> {
                        server.close();
                        loop.stop();
                    });
                } catch (RejectedExecutionException e) {
                    // A second signal while the loop closes: it is stopping already.
                }
            };
            Signal.handle(new Signal("INT"), signal -> shutdown.run());
            Signal.handle(new Signal("TERM"), signal -> shutdown.run());
            System.out.println("listening on " + format(server.localAddress()));
            System.out.flush();
            loop.run();
        }
        System.exit(0);
    }

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

    private static InetSocketAddress parse(String[] args) {
        String host = "127.0.0.1";
        int port = 7007;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    System.out.println(USAGE);
                    System.exit(0);
                }
                case "--host" -> host = value(args, ++i);
                case "--port" -> port = port(value(args, ++i));
                default -> usage("unknown argument: " + args[i]);
            }
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            usage("unknown host: " + host);
            return null;
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static int port(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        usage("port must be a number from 0 to 65535: " + value);
        return -1;
    }

    private static void usage(String problem) {
        PrintStream err = System.err;
        err.println("echo server: " + problem);
        err.println(USAGE);
        System.exit(2);
    }

    private static String format(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
