// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.snippets;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.EventLoopGroup;
import org.epoll4j.Frames;
import org.epoll4j.Server;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.snippets.EventLoopSnippets.Echo;

/**
 * The examples in the Javadoc of {@link EventLoopGroup} and {@link EventLoopGroup.Sharing}:
 * a loop per processor, and work handed to virtual threads.
 */
final class GroupSnippets {
    private GroupSnippets() {}

    static void group(CountDownLatch shutdown) throws ErrnoException, InterruptedException {
        // @start region="group"
        try (EventLoopGroup group = EventLoopGroup.open()) { // a loop per processor, each on a thread of its own
            Server server = group.listen(new InetSocketAddress(8080), new Echo());
            System.out.println("listening on " + server.localAddress());
            shutdown.await();                              // this thread is none of the loops': it may block
        }                                                  // every loop closed, every loop thread ended
        // @end
    }

    static Server handOff(EventLoopGroup group, ConnectionHandler handler) throws ErrnoException {
        // @start region="sharing"
        // A few long-lived connections from one client: the kernel's hash could put them
        // all on one loop, where HAND_OFF deals them out in turn.
        Server server = group.listen(new InetSocketAddress(9000), handler, EventLoopGroup.Sharing.HAND_OFF);
        // @end
        return server;
    }

    static Server offLoop(EventLoopGroup group) throws ErrnoException {
        // @start region="virtual-threads"
        ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor();
        Server server = group.listen(new InetSocketAddress(8080), connection -> new ConnectionHandler() {
            private CompletableFuture<Void> answered = CompletableFuture.completedFuture(null); // this connection's

            @Override
            public void onOpen(Connection connection) {
                connection.keepUnread(64 * 1024);          // a request cut by a read comes back whole
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                for (int end; (end = Frames.delimited(data, NEWLINE, 64 * 1024)) >= 0; ) { // a request a line
                    byte[] request = new byte[end - data.position()];
                    data.get(request);                     // data is lent for this call only: copy
                    answered = answered.thenRunAsync(() -> // blocking work off the loop, answers in order
                            connection.write(ByteBuffer.wrap(lookUp(request))), virtual); // any thread
                }                                          // the start of a line stays in data: kept
            }
        });
        // @end
        return server;
    }

    private static final byte[] NEWLINE = {'\n'};

    /** Stands for a database query, a file read, a call to another service. */
    static byte[] lookUp(byte[] request) {
        return request;
    }
}
