// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.snippets;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.EventLoop;
import org.epoll4j.Server;
import org.epoll4j.epoll.AbstractNamespaceAddress;
import org.epoll4j.epoll.Epoll;
import org.epoll4j.epoll.EpollEvents;
import org.epoll4j.epoll.ErrnoException;

/**
 * The examples in the Javadoc of {@link Epoll}, {@link EpollEvents}, {@link ErrnoException}
 * and {@link AbstractNamespaceAddress}: epoll itself, on the thread that opened it.
 */
final class EpollSnippets {
    private EpollSnippets() {}

    /** Waits up to half a second for {@code fd}, an fd of the caller's, to have input. */
    static boolean awaitInput(int fd) throws ErrnoException {
        // @start region="epoll"
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(64)) { // this thread's
            epoll.add(fd, Epoll.IN | Epoll.RDHUP, 42L);    // 42 comes back with fd's events
            int n = epoll.wait(events, Duration.ofMillis(500)); // epoll_pwait2 where the kernel has it
            boolean ready = false;
            for (int i = 0; i < n; i++) {
                long token = events.data(i);               // reads native memory; allocates nothing
                int flags = events.events(i);
                ready |= token == 42L && (flags & (Epoll.IN | Epoll.RDHUP | Epoll.HUP)) != 0;
            }
            epoll.delete(fd);
            return ready;
        }                                                  // closes the epoll fd, frees the array; fd stays open
        // @end
    }

    static void addOnce(Epoll epoll, int fd) throws ErrnoException {
        // @start region="errno"
        try {
            epoll.add(fd, Epoll.IN, 7L);
        } catch (ErrnoException e) {
            // e.getMessage(): "epoll_ctl(ADD, fd=5): File exists (EEXIST)"
            if (!e.errnoName().equals("EEXIST")) {         // registered already: fine here
                throw e;
            }
        }
        // @end
    }

    static void abstractAddress(EventLoop loop, ConnectionHandler handler) throws ErrnoException {
        // @start region="abstract-address"
        AbstractNamespaceAddress address = AbstractNamespaceAddress.of("myapp"); // "@myapp" in ss -x; no file
        Server server = loop.listen(address, handler);
        Connection client = loop.connect(address, new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.write(ByteBuffer.wrap(new byte[] {'p', 'i', 'n', 'g'}));
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                connection.close();
            }
        });
        // @end
        client.close();
        server.close();
    }
}
