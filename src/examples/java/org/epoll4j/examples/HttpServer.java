// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.examples;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.epoll4j.EventLoop;
import org.epoll4j.EventLoopGroup;
import org.epoll4j.Tls;
import org.epoll4j.epoll.ErrnoException;

/**
 * The example HTTP/1.1 server: TechEmpower's plaintext test ({@code GET /plaintext} answers
 * {@code Hello, World!}), with keep-alive and pipelining, on an {@link EventLoopGroup} of one
 * loop per processor (or {@code --threads N}). Each connection is an {@link HttpConnection};
 * each loop has its {@link HttpResponses}, whose Date a timer of the loop's renews every
 * second, and its {@link RequestHead} parser.
 *
 * <pre>
 * java -jar target/epoll4j-http-server.jar [--host 127.0.0.1] [--port 8080] [--threads N] [--idle-timeout SECONDS]
 * </pre>
 *
 * <p>It prints {@code listening on HOST:PORT} once ready; SIGINT or SIGTERM stops it with exit
 * 0. Bad arguments exit 2; a failure to listen (EADDRINUSE, ...) exits 1.
 */
public final class HttpServer {
    private static final String USAGE = """
            usage: java -jar epoll4j-http-server.jar [--host HOST] [--port PORT] [--threads N] [--idle-timeout SECONDS] [--tls-cert PEM --tls-key PEM]
              --host HOST              address to listen on (default 127.0.0.1)
              --port PORT              port to listen on, 0 for any free port (default 8080)
              --threads N              event loops, each on a thread of its own (default: one per processor)
              --idle-timeout SECONDS   close a connection that sends nothing for that long (default 60)
              --tls-cert PEM           serve HTTPS with this certificate chain (the server's first) ...
              --tls-key PEM            ... and its private key (PKCS#8, unencrypted)
              --help                   print this and exit""";

    private HttpServer() {}

    public static void main(String[] args) throws ErrnoException, InterruptedException {
        Cli cli = new Cli("http server", USAGE, args);
        String host = "127.0.0.1";
        int port = 8080;
        int threads = Runtime.getRuntime().availableProcessors();
        int idleSeconds = 60;
        String certFile = null;
        String keyFile = null;
        for (String arg; (arg = cli.next()) != null; ) {
            switch (arg) {
                case "--host" -> host = cli.value();
                case "--port" -> port = cli.number(0, 65535, "port");
                case "--threads" -> threads = cli.number(1, 1024, "threads");
                case "--idle-timeout" -> idleSeconds = cli.number(1, 86_400, "idle timeout");
                case "--tls-cert" -> certFile = cli.value();
                case "--tls-key" -> keyFile = cli.value();
                default -> cli.fail("unknown argument: " + arg);
            }
        }
        InetSocketAddress address = cli.address(host, port);
        Tls tls = cli.tls(certFile, keyFile, "http/1.1"); // ALPN: a client that offers h2 too gets HTTP/1.1
        Duration idle = Duration.ofSeconds(idleSeconds);
        cli.serve(threads, address, tls, loop -> {
            HttpResponses responses = new HttpResponses(); // this loop's, on its thread only
            RequestHead request = new RequestHead(); // the same: a loop parses one head at a time
            renewDates(loop, responses);
            return connection -> new HttpConnection(responses, request, idle);
        });
    }

    /** Writes the date into the loop's responses now, then at the start of every second. */
    private static void renewDates(EventLoop loop, HttpResponses responses) {
        long millis = System.currentTimeMillis();
        responses.date(millis);
        loop.scheduleAtFixedRate(Duration.ofMillis(1000 - millis % 1000), Duration.ofSeconds(1),
                () -> responses.date(System.currentTimeMillis()));
    }
}
