// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.examples;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.epoll4j.EventLoopGroup;
import org.epoll4j.epoll.ErrnoException;

/**
 * The example Redis-protocol server: a key-value store that speaks RESP2 (arrays of bulk
 * strings, and inline commands), with pipelining, on an {@link EventLoopGroup} of one loop
 * per processor (or {@code --threads N}). Each client is a {@link RespConnection}; all loops
 * share one {@link Keyspace}, as a Redis server's clients do, so a key set on one connection
 * is seen on every other, whichever loop serves it.
 *
 * <pre>
 * java -jar target/epoll4j-resp-server.jar [--host 127.0.0.1] [--port 6379] [--threads N]
 * </pre>
 *
 * <p>It prints {@code listening on HOST:PORT} once ready; SIGINT or SIGTERM stops it with exit
 * 0. Bad arguments exit 2; a failure to listen (EADDRINUSE, ...) exits 1.
 */
public final class RespServer {
    private static final String USAGE = """
            usage: java -jar epoll4j-resp-server.jar [--host HOST] [--port PORT] [--threads N]
              --host HOST       address to listen on (default 127.0.0.1)
              --port PORT       port to listen on, 0 for any free port (default 6379)
              --threads N       event loops, each on a thread of its own (default: one per processor)
              --help            print this and exit
            commands: PING, ECHO, SET, GET, DEL, EXISTS, INCR, MGET, QUIT (CONFIG GET and COMMAND: empty)""";
    /** Replies are built in a buffer of each loop's, this long, then staged. */
    private static final int REPLY_BUFFER = 64 * 1024;

    private RespServer() {}

    public static void main(String[] args) throws ErrnoException, InterruptedException {
        Cli cli = new Cli("resp server", USAGE, args);
        String host = "127.0.0.1";
        int port = 6379;
        int threads = Runtime.getRuntime().availableProcessors();
        for (String arg; (arg = cli.next()) != null; ) {
            switch (arg) {
                case "--host" -> host = cli.value();
                case "--port" -> port = cli.number(0, 65535, "port");
                case "--threads" -> threads = cli.number(1, 1024, "threads");
                default -> cli.fail("unknown argument: " + arg);
            }
        }
        InetSocketAddress address = cli.address(host, port);
        Keyspace keyspace = new Keyspace();
        cli.serve(threads, address, null, loop -> {
            ByteBuffer replies = ByteBuffer.allocateDirect(REPLY_BUFFER); // this loop's, reused by each call
            return connection -> new RespConnection(keyspace, replies);
        });
    }
}
