// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.snippets;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.EventLoop;
import org.epoll4j.Idle;
import org.epoll4j.ListenOption;
import org.epoll4j.PeerCredentials;
import org.epoll4j.Server;
import org.epoll4j.Timer;
import org.epoll4j.epoll.ErrnoException;

/**
 * The examples in the Javadoc of {@link EventLoop}, {@link Server}, {@link Connection},
 * {@link ConnectionHandler}, {@link Timer}, {@link ListenOption} and {@link PeerCredentials}:
 * one loop, on the thread that runs it.
 */
final class EventLoopSnippets {
    private EventLoopSnippets() {}

    static void echoServer() throws ErrnoException {
        // @start region="event-loop"
        try (EventLoop loop = EventLoop.open()) {          // this thread's until run()
            Server server = loop.listen(new InetSocketAddress("127.0.0.1", 7000), new Echo());
            System.out.println("listening on " + server.localAddress());
            loop.run();                                    // until loop.stop() or loop.close(), from any thread
        }                                                  // closes the server and every connection
        // @end
    }

    // @start region="echo"
    /** Writes back what it reads, and stops reading while the peer does not keep up. */
    static final class Echo implements ConnectionHandler {
        @Override
        public void onData(Connection connection, ByteBuffer data) {
            connection.write(data);                        // what the kernel does not take now is copied and queued
            if (!connection.isWritable()) {                // queued output above the high-water mark
                connection.pauseReading();
            }
        }

        @Override
        public void onWritable(Connection connection) {   // down to the low-water mark
            connection.resumeReading();
        }

        @Override
        public void onClose(Connection connection, IOException cause) {
            if (cause != null) {                           // reset, timed out, over the output limit, ...
                System.err.println(connection.remoteAddress() + ": " + cause.getMessage());
            }
        }
    }
    // @end

    // @start region="greeter"
    /** Greets each client, and closes the connection once the greeting has gone out. */
    static final class Greeter implements ConnectionHandler {
        @Override
        public void onOpen(Connection connection) {
            connection.setCloseTimeout(Duration.ofSeconds(5)); // a client that does not read is reset after 5 s
            connection.write(ByteBuffer.wrap("hello\n".getBytes(StandardCharsets.US_ASCII)));
            connection.close();                            // after "hello\n": onClose then runs, with a null cause
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {
            // Not called after close(): what the client still sends is read and dropped.
        }
    }
    // @end

    static void server(EventLoop loop, ConnectionHandler handler) throws ErrnoException {
        // @start region="server"
        Server server = loop.listen(new InetSocketAddress("127.0.0.1", 0), handler); // port 0: any free port
        int port = ((InetSocketAddress) server.localAddress()).getPort();          // the one the kernel chose
        System.out.println("listening on port " + port);
        // ... later, from any thread:
        server.close();                                    // stops accepting; its connections stay open
        // @end
    }

    static void listenOptions(EventLoop loop, ConnectionHandler handler) throws ErrnoException {
        // @start region="listen-options"
        loop.listen(new InetSocketAddress("0.0.0.0", 8080), handler, ListenOption.REUSE_PORT);
        loop.listen(UnixDomainSocketAddress.of("/run/myapp/app.sock"), handler, ListenOption.REPLACE_SOCKET_FILE);
        // @end
    }

    // @start region="idle-timeout"
    /** Echoes, and closes a connection that has sent nothing for 30 seconds. */
    static final class IdleTimeout implements ConnectionHandler {
        @Override
        public void onOpen(Connection connection) {
            connection.setIdleTimeout(Idle.READ, Duration.ofSeconds(30)); // reads only note the time
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {
            connection.write(data);
        }

        @Override
        public void onIdle(Connection connection, Idle kind) {
            connection.abort();                            // an idle client may never end its output: no linger
        }
    }
    // @end

    static void timeout(Connection upstream) {
        // @start region="timeout"
        // An answer due within 5 s: unless it comes first (and cancels the timer), give up.
        Timer deadline = upstream.loop().schedule(Duration.ofSeconds(5), upstream::abort);
        // ... when the answer comes: deadline.cancel();
        // @end
        deadline.cancel();
    }

    static Timer periodic(EventLoop loop, byte[] date) {
        // @start region="periodic"
        // Once a second, on the loop's thread: what every response of the second shares.
        return loop.scheduleAtFixedRate(Duration.ZERO, Duration.ofSeconds(1), () -> {
            byte[] now = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
                    .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC)).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(now, 0, date, 0, Math.min(now.length, date.length));
        });
        // @end
    }

    static void stopOnShutdown(EventLoop loop) {
        // @start region="stop"
        Runtime.getRuntime().addShutdownHook(new Thread(loop::close)); // waits until the loop is released
        loop.run();                                        // returns once the hook has closed the loop
        // @end
    }

    static long queuedBytes(EventLoop loop, Connection connection) {
        // @start region="execute"
        // On a thread that is not the loop's: queuedBytes() belongs to the loop's thread.
        CompletableFuture<Long> queued = new CompletableFuture<>();
        loop.execute(() -> queued.complete(connection.queuedBytes())); // RejectedExecutionException once closed
        return queued.join();
        // @end
    }

    static void closeAsync(EventLoop loop) {
        // @start region="close-async"
        loop.closeAsync()                                  // asks, and returns at once
                .thenRun(() -> System.out.println("loop released: every onClose has run"));
        // @end
    }

    static void unixSocket(EventLoop loop) throws ErrnoException {
        int serviceUid = 1000;
        // @start region="unix-socket"
        Server server = loop.listen(UnixDomainSocketAddress.of("/run/myapp/app.sock"), new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                try {
                    PeerCredentials peer = connection.peerCredentials(); // as the kernel saw them at connect
                    if (peer.uid() != serviceUid) {
                        connection.abort();                // at once: nothing was written yet
                    }
                } catch (ErrnoException e) {
                    connection.abort();
                }
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                connection.write(data);
            }
        }, ListenOption.REPLACE_SOCKET_FILE);              // a socket file left by a crashed run is replaced
        // @end
        server.close();                                    // removes the socket file
    }
}
