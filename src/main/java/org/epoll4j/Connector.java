// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.net.SocketAddress;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.SocketCalls;

/** The connect side of the stream transports (TCP, Unix): a new socket, connecting, registered with its loop. */
final class Connector {
    private Connector() {}

    /**
     * Opens a socket, starts connecting it to {@code address} and registers it with
     * {@code loop}; on the loop's thread.
     *
     * @throws ErrnoException if no socket can be made (EMFILE, ENFILE, ...)
     */
    static Connection connect(EventLoop loop, SocketAddress address, ConnectionHandler handler)
            throws ErrnoException {
        loop.checkCanAdd();
        SocketCalls sockets = loop.io().sockets;
        int fd = sockets.streamSocket(address);
        Connection connection = new Connection(loop, handler, fd, false);
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
            if (connection.slot < 0) {
                loop.registry().addUnwatched(connection);
            }
            loop.tasks().addFromLoop(() -> connection.failConnect(e));
        } catch (RuntimeException e) {
            loop.io().sys.close(fd);
            throw e;
        }
        return connection;
    }
}
