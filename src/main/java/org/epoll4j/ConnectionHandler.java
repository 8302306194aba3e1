// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * What a {@link Connection} does when its socket is ready. Every method runs on the
 * event loop's thread, one at a time.
 *
 * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="echo"}
 *
 * <p>Notes:
 * <ul>
 * <li>A handler may call any method of any connection of its loop, its own or another's
 *     (write to it, close it, pause it); the library stays correct, and the handler's
 *     own {@code data} is never touched by what it does to other connections.
 * <li>An exception thrown by any method but {@link #onClose} resets the connection at
 *     once (its pending output is dropped); {@code onClose} then gets an
 *     {@link IOException} whose cause is the exception. Every exception a handler
 *     throws, {@code onClose}'s too, also goes to the loop's {@link ErrorHandler}.
 *     Either way, other connections and the loop go on. A {@link VirtualMachineError} (out of memory, a
 *     stack overflow) is not caught: it ends {@link EventLoop#run()}.
 * </ul>
 */
public interface ConnectionHandler {
    /**
     * The connection is established: accepted by a server, or connected. Not called for a
     * connect that fails.
     *
     * @param connection the connection
     */
    default void onOpen(Connection connection) {}

    /**
     * Bytes arrived. {@code data} holds exactly them: position 0, limit and capacity the
     * number of bytes read, big-endian.
     *
     * <p>Ownership: {@code data} is a view of memory the loop reuses, lent for this call
     * only: copy what must outlive it (a write copies what it queues, so
     * {@link Connection#write} may be given {@code data} itself). During the call nothing
     * else writes into it, whatever the handler does to other connections; the handler
     * may change its position, limit, order and bytes.
     *
     * @param connection the connection the bytes came from
     * @param data the bytes, lent for this call only
     */
    void onData(Connection connection, ByteBuffer data);

    /**
     * The peer shut down its output (end of stream): no more data will arrive. The
     * connection can still write. By default it is closed once its queued output
     * has gone out.
     *
     * @param connection the connection whose peer has finished sending
     */
    default void onEndOfInput(Connection connection) {
        connection.close();
    }

    /**
     * Queued output that had gone above the high-water mark has drained below the
     * low-water mark: {@link Connection#isWritable()} is true again.
     *
     * @param connection the connection that takes output again
     */
    default void onWritable(Connection connection) {}

    /**
     * An idle timeout set with {@link Connection#setIdleTimeout} passed: the connection has
     * read nothing, written nothing to the kernel, or neither, as {@code kind} says, for
     * that long. It is told again after each further timeout with no activity, while the
     * connection is open (not once it is closing). By default the connection is closed.
     *
     * @param connection the idle connection
     * @param kind what it has been idle in
     */
    default void onIdle(Connection connection, Idle kind) {
        connection.close();
    }

    /**
     * The connection is closed: called exactly once, and nothing of the connection's
     * happens after it. Its fd is released when this returns; meanwhile
     * {@link Connection#remoteAddress()} and {@link Connection#localAddress()} still
     * answer. Writes return false.
     *
     * @param connection the connection, closed
     * @param cause null for an orderly close (by either side, by {@link Connection#abort()},
     *     or by closing the loop); otherwise why it closed: an {@link org.epoll4j.epoll.ErrnoException}
     *     (reset, refused, unreachable), a {@link java.net.SocketTimeoutException} (the
     *     close timeout passed), an IOException for the output limit, or an IOException
     *     wrapping a handler's exception
     */
    default void onClose(Connection connection, IOException cause) {}
}
