// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.snippets;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.EventLoopGroup;
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

    // @start region="virtual-threads"
    /** Answers each request on a virtual thread, so that the blocking work stays off the loop. */
    static final class OffLoop implements ConnectionHandler {
        @Override
        public void onData(Connection connection, ByteBuffer data) {
            byte[] request = new byte[data.remaining()];   // one read as one request, for brevity:
            data.get(request);                             // data is lent for this call only, so copy it
            Thread.startVirtualThread(() -> {
                byte[] response = lookUp(request);         // blocking work, off the loop's thread
                connection.write(ByteBuffer.wrap(response)); // any thread: copied before it returns
            });
        }
    }
    // @end

    /** Stands for a database query, a file read, a call to another service. */
    static byte[] lookUp(byte[] request) {
        return request;
    }
}
