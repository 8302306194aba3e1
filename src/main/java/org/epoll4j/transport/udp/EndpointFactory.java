// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.udp;

import java.lang.foreign.Arena;
import org.epoll4j.DatagramHandler;
import org.epoll4j.UdpEndpoint;
import org.epoll4j.epoll.ErrnoException;

/**
 * Makes the {@link UdpEndpoint} of a bound socket: the API's constructor, which this
 * package cannot call.
 *
 * @param <E> the endpoint's type
 */
@FunctionalInterface
public interface EndpointFactory<E extends UdpChannel> {
    /**
     * An endpoint over {@code fd}, its memory from {@code arena}, its datagrams up to
     * {@code maxDatagramSize} bytes, received by {@code handler}. The endpoint closes both
     * when it closes; if this or its registration throws, {@link UdpChannel#bind} does.
     */
    E open(int fd, Arena arena, int maxDatagramSize, DatagramHandler handler) throws ErrnoException;
}
