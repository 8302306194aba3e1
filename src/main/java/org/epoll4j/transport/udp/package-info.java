// SPDX-License-Identifier: Apache-2.0
/**
 * The UDP transport: a socket whose datagrams go in and out in batches (recvmmsg,
 * sendmmsg), behind the API's {@link org.epoll4j.UdpEndpoint} and
 * {@link org.epoll4j.Datagram}. An endpoint is one object of four layers,
 * {@link org.epoll4j.transport.udp.UdpChannel} (its life),
 * {@link org.epoll4j.transport.udp.UdpInput}, {@link org.epoll4j.transport.udp.UdpOutput}
 * and the API's {@link org.epoll4j.UdpEndpoint}. Not exported.
 */
package org.epoll4j.transport.udp;
