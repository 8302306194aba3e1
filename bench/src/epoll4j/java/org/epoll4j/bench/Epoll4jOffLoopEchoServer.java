// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.EventLoopGroup;
import org.epoll4j.Server;

/**
 * TCP echo on epoll4j, one event loop, answered off the loop: {@code onData} copies the request
 * (its buffer is valid only during the call) and hands the copy to an executor whose thread
 * calls {@link Connection#write(ByteBuffer)}, the write callable from any thread of issue #9.
 * {@code --executor pool} uses a fixed pool of {@code --workers} threads, {@code --executor
 * virtual} a virtual thread per request: the same executors as {@link NettyOffLoopEchoServer}.
 *
 * <p>Not built by bench/pom.xml: bench/run compiles this source set against the suite's copy of
 * the root's target/epoll4j.jar, and skips the epoll4j off-loop rows with a message when it does
 * not compile (before the API exists) or does not start.
 */
public final class Epoll4jOffLoopEchoServer {

    private Epoll4jOffLoopEchoServer() {}

    /** Serves on {@code --host H --port P --executor pool|virtual [--workers N]} until SIGTERM. */
    public static void main(String[] args) throws Exception {
        ServerOptions options = ServerOptions.parse(args)
                .allowOnly("Epoll4jOffLoopEchoServer", "--executor", "--workers");
        ExecutorService workers = Workers.of(options);
        EventLoopGroup loops = EventLoopGroup.open(1);
        Server server = loops.listen(options.address(), new OffLoopEcho(workers));
        ServerOptions.announce((java.net.InetSocketAddress) server.localAddress());
        // The loop runs on its own thread; SIGTERM ends the JVM.
        Thread.currentThread().join();
    }

    private static final class OffLoopEcho implements ConnectionHandler {
        private final ExecutorService workers;

        OffLoopEcho(ExecutorService workers) {
            this.workers = workers;
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {
            ByteBuffer request = ByteBuffer.allocate(data.remaining()).put(data).flip();
            workers.execute(() -> connection.write(request));
        }
    }
}
