// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.epoll4j.EventLoopGroup.Sharing;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.SocketCalls;
import org.epoll4j.transport.stream.ConnectionFactory;
import org.epoll4j.transport.stream.Listener;

/**
 * How the loops of an {@link EventLoopGroup} share a server's port: the listening
 * sockets that each {@link Sharing} opens, each on its loop's thread.
 */
final class SharedPort {
    private SharedPort() {}

    /** See {@link EventLoopGroup#listen(SocketAddress, ConnectionHandler, Sharing)}, once its arguments are checked. */
    static Server listen(EventLoopGroup group, SocketAddress address, ConnectionHandler handler, Sharing sharing)
            throws ErrnoException {
        List<EventLoop> loops = group.loops();
        List<Listener> listeners = new ArrayList<>();
        try {
            if (sharing == Sharing.HAND_OFF || SocketCalls.isUnix(address)) {
                EventLoop first = loops.getFirst();
                ConnectionFactory connections = EventLoop.connections(handler);
                listeners.add(LoopThreads.call(first,
                        () -> Listener.open(first.core(), address, connections, Set.of(), () -> group.next().core())));
            } else {
                Set<ListenOption> reusePort = EnumSet.of(ListenOption.REUSE_PORT);
                SocketAddress bound = address;
                ConnectionFactory connections = EventLoop.connections(handler);
                for (EventLoop loop : loops) {
                    SocketAddress port = bound;
                    Listener listener = LoopThreads.call(loop,
                            () -> Listener.open(loop.core(), port, connections, reusePort, null));
                    listeners.add(listener);
                    bound = listener.localAddress(); // port 0 picked one: the others take it too
                }
            }
        } catch (ErrnoException | RuntimeException | Error e) {
            if (!listeners.isEmpty()) {
                new Server(listeners).close();
            }
            throw e;
        }
        return new Server(listeners);
    }
}
