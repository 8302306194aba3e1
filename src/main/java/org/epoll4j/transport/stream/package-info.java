// SPDX-License-Identifier: Apache-2.0
/**
 * The stream transport: TCP and Unix domain stream sockets. A connection is one object of
 * six layers, {@link org.epoll4j.transport.stream.StreamSocket} (its socket),
 * {@link org.epoll4j.transport.stream.StreamChannel} (its life),
 * {@link org.epoll4j.transport.stream.StreamInput},
 * {@link org.epoll4j.transport.stream.StreamOutput},
 * {@link org.epoll4j.transport.stream.StreamRequests} (from any thread) and the API's
 * {@link org.epoll4j.Connection}; listeners accept
 * ({@link org.epoll4j.transport.stream.Listener}), and
 * {@link org.epoll4j.transport.stream.Connector} connects. Not exported.
 */
package org.epoll4j.transport.stream;
