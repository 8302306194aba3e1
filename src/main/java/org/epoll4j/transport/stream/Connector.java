// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.net.SocketAddress;
import org.epoll4j.Connection;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.SocketCalls;
import org.epoll4j.loop.Loop;

/** The connect side of the stream transports (TCP, Unix): a new socket, connecting, registered with its loop. */
public final class Connector {
    private Connector() {}

    /**
     * Opens a socket, starts connecting it to {@code address} and registers it with
     * {@code loop}; on the loop's thread, as a {@link Loop#beginLoopCall loop call}.
     *
     * @throws ErrnoException if no socket can be made (EMFILE, ENFILE, ...)
     */
    public static Connection connect(Loop loop, SocketAddress address, ConnectionFactory connections)
            throws ErrnoException {
        boolean call = loop.beginLoopCall();
        try {
            return open(loop, address, connections);
        } finally {
            loop.endLoopCall(call);
        }
    }

    private static Connection open(Loop loop, SocketAddress address, ConnectionFactory connections)
            throws ErrnoException {
        loop.checkCanAdd();
        SocketCalls sockets = loop.io().sockets;
        int fd = sockets.streamSocket(address);
        StreamOutput connection;
        try {
            connection = connections.open(loop, fd, false);
        } catch (RuntimeException | Error e) {
            loop.io().sys.close(fd); // the connection could not be made (a TLS engine, say): its socket goes
            throw e;
        }
        connection.remote(0, address);
        try {
            if (!SocketCalls.isUnix(address)) {
                sockets.setNoDelay(fd, true);
            }
            sockets.connect(fd, address);
            loop.registry().add(connection);
        } catch (ErrnoException e) {
            // The failure is the connection's: it reaches the handler after connect returns,
            // in a task of the loop's own, which runs even if the loop is closing. The socket
            // stays out of the epoll set (epoll reports an unconnected socket as HUP) but in
            // the registry, so that closing the loop first still closes it.
            if (!loop.registry().contains(connection)) {
                loop.registry().addUnwatched(connection);
            }
            loop.tasks().addFromLoop(() -> connection.failConnect(e));
        } catch (RuntimeException e) {
            loop.io().sys.close(fd);
            throw e;
        }
        return connection.self();
    }
}
