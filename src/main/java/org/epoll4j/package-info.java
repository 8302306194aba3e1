// SPDX-License-Identifier: Apache-2.0
/**
 * The event loop and what it serves: an {@link org.epoll4j.EventLoop} is one thread
 * serving many TCP and Unix domain {@link org.epoll4j.Connection}s, {@link org.epoll4j.Server}s,
 * {@link org.epoll4j.UdpEndpoint}s, {@link org.epoll4j.Watch}es of the application's fds
 * and {@link org.epoll4j.Timer}s; an {@link org.epoll4j.EventLoopGroup} runs one loop per
 * processor.
 *
 * <p>Handlers ({@link org.epoll4j.ConnectionHandler}, {@link org.epoll4j.DatagramHandler},
 * {@link org.epoll4j.WatchHandler}) run on their loop's thread. Methods that may be called
 * from any thread say so; the others throw {@link java.lang.WrongThreadException} elsewhere.
 * Buffers given to a handler are lent for that call only.
 */
package org.epoll4j;
