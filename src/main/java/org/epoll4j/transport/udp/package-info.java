// SPDX-License-Identifier: Apache-2.0
/**
 * The UDP transport: {@link org.epoll4j.transport.udp.UdpChannel}, a socket whose datagrams
 * go in and out in batches (recvmmsg, sendmmsg), behind the API's
 * {@link org.epoll4j.UdpEndpoint} and {@link org.epoll4j.Datagram}. Not exported.
 */
package org.epoll4j.transport.udp;
