// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import org.epoll4j.epoll.ErrnoException;

/**
 * What a {@link UdpEndpoint} does with the datagrams it receives. Every method runs on
 * the loop's thread.
 *
 * {@snippet class="org.epoll4j.snippets.UdpSnippets" region="udp-lambda"}
 *
 * <p>See {@link UdpEndpoint} for one that also handles errors.
 */
@FunctionalInterface
public interface DatagramHandler {
    /**
     * A datagram arrived. {@code datagram} and its {@link Datagram#data()} are lent for this
     * call only: copy what must outlive it.
     *
     * @param endpoint the endpoint that received it
     * @param datagram the datagram, lent for this call only
     */
    void onDatagram(UdpEndpoint endpoint, Datagram datagram);

    /**
     * A send or a receive failed, and the endpoint goes on (UDP loses datagrams): for
     * example ECONNREFUSED on a connected endpoint whose peer is not listening, or
     * EMSGSIZE. By default the error goes to the loop's {@link ErrorHandler}.
     *
     * @param endpoint the endpoint whose call failed
     * @param error the failure, naming the call and its errno
     */
    default void onError(UdpEndpoint endpoint, ErrnoException error) {
        endpoint.reportError(error);
    }
}
