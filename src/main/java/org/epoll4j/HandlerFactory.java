// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

/**
 * Makes the handler of each connection a server accepts: state of one connection (a
 * parser's, a session's) then lives in fields of its handler, with no
 * {@link Connection#attach attachment} to cast. Given to {@link EventLoop#listen(java.net.SocketAddress,
 * HandlerFactory, ListenOption...)}; an {@link EventLoopGroup} can take one per loop, for
 * state shared by a loop's connections without a {@code ThreadLocal}.
 *
 * {@snippet class="org.epoll4j.snippets.ProtocolSnippets" region="per-connection"}
 *
 * <p>Notes: called on the connection's loop's thread, once the connection is accepted and
 * before its {@code onOpen}; its addresses can be read. If it throws or returns null,
 * the connection is reset (it never opens) and what it threw goes to the loop's
 * {@link ErrorHandler}. If it closes the connection itself, the handler it returns gets
 * no {@code onOpen} (it gets the {@code onClose} of a {@code close()}, not of an
 * {@code abort()}, which ends the connection before the handler is known).
 */
@FunctionalInterface
public interface HandlerFactory {
    /**
     * The handler of {@code connection}.
     *
     * @param connection the connection just accepted
     * @return its handler, which serves it alone
     */
    ConnectionHandler newHandler(Connection connection);
}
