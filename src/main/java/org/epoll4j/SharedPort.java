// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.epoll4j.EventLoopGroup.Sharing;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.SocketCalls;
import org.epoll4j.transport.stream.ConnectionFactory;
import org.epoll4j.transport.stream.Listener;
import org.epoll4j.transport.udp.UdpChannel;

/**
 * How the loops of an {@link EventLoopGroup} share a server's port: the listening
 * sockets that each {@link Sharing} opens, each on its loop's thread; and the UDP
 * endpoints of a port, one per loop. Unless told to share it with others
 * ({@link ListenOption#REUSE_PORT}), the port is the group's own.
 */
final class SharedPort {
    private SharedPort() {}

    /**
     * See {@link EventLoopGroup#listen(SocketAddress, ConnectionHandler, Sharing, ListenOption...)}, once its
     * arguments are checked: each loop's connections made by {@code connections}' entry for it.
     */
    static Server listen(EventLoopGroup group, SocketAddress address, Map<EventLoop, ConnectionFactory> perLoop,
                         Sharing sharing, Set<ListenOption> options) throws ErrnoException {
        List<EventLoop> loops = group.loops();
        List<Listener> listeners = new ArrayList<>();
        // One listener hands its connections to every loop: each is made by its loop's factory.
        ConnectionFactory connections = (loop, fd, connected) -> perLoop.get(loop.api()).open(loop, fd, connected);
        try {
            if (sharing == Sharing.HAND_OFF || SocketCalls.isUnix(address)
                    || loops.size() == 1 && !options.contains(ListenOption.REUSE_PORT)) {
                // One listener: without SO_REUSEPORT unless asked, the port is its own outright.
                EventLoop first = loops.getFirst();
                listeners.add(LoopThreads.call(first,
                        () -> Listener.open(first.core(), address, connections, options, () -> group.next().core())));
            } else {
                Set<ListenOption> reusePort = EnumSet.of(ListenOption.REUSE_PORT);
                SocketAddress bound = address;
                for (EventLoop loop : loops) {
                    SocketAddress port = bound;
                    boolean own = listeners.isEmpty() && !options.contains(ListenOption.REUSE_PORT);
                    ConnectionFactory loopsOwn = perLoop.get(loop);
                    Listener listener = LoopThreads.call(loop, () -> own
                            ? Listener.openOwnPort(loop.core(), port, loopsOwn)
                            : Listener.open(loop.core(), port, loopsOwn, reusePort, null));
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

    /** See {@link EventLoopGroup#bindUdp}, once its arguments are checked. */
    static List<UdpEndpoint> bindUdp(EventLoopGroup group, InetSocketAddress address, int maxDatagramSize,
                                     DatagramHandler handler, Set<ListenOption> options) throws ErrnoException {
        List<UdpEndpoint> endpoints = new ArrayList<>();
        boolean shared = options.contains(ListenOption.REUSE_PORT);
        // One loop: one socket, without SO_REUSEPORT unless asked, and the port is its own outright.
        Set<ListenOption> reusePort = group.loops().size() == 1 && !shared ? Set.of() : EnumSet.of(ListenOption.REUSE_PORT);
        try {
            InetSocketAddress bound = address;
            for (EventLoop loop : group.loops()) {
                InetSocketAddress port = bound;
                boolean own = endpoints.isEmpty() && !reusePort.isEmpty() && !shared;
                UdpEndpoint endpoint = LoopThreads.call(loop, () -> own ? bindOwnPort(loop, port, maxDatagramSize, handler)
                        : UdpEndpoint.bind(loop.core(), port, maxDatagramSize, handler, reusePort));
                endpoints.add(endpoint);
                bound = (InetSocketAddress) endpoint.localAddress();
            }
        } catch (ErrnoException | RuntimeException | Error e) {
            for (UdpEndpoint endpoint : endpoints) {
                try {
                    LoopThreads.call(endpoint.loop(), () -> {
                        endpoint.close();
                        return null;
                    });
                } catch (ErrnoException | RuntimeException closing) {
                    e.addSuppressed(closing);
                }
            }
            throw e;
        }
        return List.copyOf(endpoints);
    }

    /**
     * The first endpoint of a group that shares its port with no one else, on the loop's
     * thread. For port 0, the port that the probe found free may be taken by another bind
     * before the endpoint binds it (UdpChannel.freePort): then another is found.
     */
    private static UdpEndpoint bindOwnPort(EventLoop loop, InetSocketAddress address, int maxDatagramSize,
                                           DatagramHandler handler) throws ErrnoException {
        for (int attempt = 1; ; attempt++) {
            InetSocketAddress free = UdpChannel.freePort(loop.core(), address);
            try {
                return UdpEndpoint.bind(loop.core(), free, maxDatagramSize, handler, EnumSet.of(ListenOption.REUSE_PORT));
            } catch (ErrnoException e) {
                if (address.getPort() != 0 || !"EADDRINUSE".equals(e.errnoName()) || attempt == 3) {
                    throw e;
                }
            }
        }
    }
}
