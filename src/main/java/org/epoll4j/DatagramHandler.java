// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import org.epoll4j.epoll.ErrnoException;

/**
 * What a {@link UdpEndpoint} does with the datagrams it receives. Every method runs on
 * the loop's thread.
 *
 * {@snippet :
 * DatagramHandler echo = (endpoint, datagram) -> datagram.reply(datagram.data());
 * }
 */
@FunctionalInterface
public interface DatagramHandler {
    /**
     * A datagram arrived. {@code datagram} and its {@link Datagram#data()} are lent for this
     * call only: copy what must outlive it.
     */
    void onDatagram(UdpEndpoint endpoint, Datagram datagram);

    /**
     * A send or a receive failed, and the endpoint goes on (UDP loses datagrams): for
     * example ECONNREFUSED on a connected endpoint whose peer is not listening, or
     * EMSGSIZE. By default the error goes to the loop thread's uncaught exception handler.
     */
    default void onError(UdpEndpoint endpoint, ErrnoException error) {
        Thread current = Thread.currentThread();
        current.getUncaughtExceptionHandler().uncaughtException(current, error);
    }
}
