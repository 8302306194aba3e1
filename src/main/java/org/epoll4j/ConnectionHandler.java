package org.epoll4j;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * What a {@link Connection} does when its socket is ready. Every method runs on the
 * event loop's thread.
 *
 * {@snippet :
 * ConnectionHandler echo = new ConnectionHandler() {
 *     @Override
 *     public void onData(Connection connection, ByteBuffer data) {
 *         connection.write(data);
 *         if (!connection.isWritable()) {
 *             connection.pauseReading();    // the peer reads slower than it writes
 *         }
 *     }
 *
 *     @Override
 *     public void onWritable(Connection connection) {
 *         connection.resumeReading();
 *     }
 * };
 * }
 *
 * <p>Notes: an exception thrown by any method but {@link #onClose} closes the
 * connection at once (its pending output is dropped and the peer sees a reset);
 * {@code onClose} then gets an {@link IOException} whose cause is the exception.
 * Other connections and the loop go on.
 */
public interface ConnectionHandler {
    /** The connection is established: accepted by a server, or connected. */
    default void onOpen(Connection connection) {}

    /**
     * Bytes arrived. {@code data} is a view of the loop's read buffer, valid only
     * during this call: copy what must outlive it. {@link Connection#write} may be
     * given {@code data} itself.
     */
    void onData(Connection connection, ByteBuffer data);

    /**
     * The peer shut down its output (end of stream): no more data will arrive. The
     * connection can still write. By default it is closed once its queued output
     * has gone out.
     */
    default void onEndOfInput(Connection connection) {
        connection.close();
    }

    /**
     * Queued output that had gone above the high-water mark has drained below the
     * low-water mark: {@link Connection#isWritable()} is true again.
     */
    default void onWritable(Connection connection) {}

    /**
     * The connection is closed and its fd released; called exactly once.
     *
     * @param cause null for an orderly close (by either side, or by closing the
     *     loop); otherwise why it closed: an {@link ErrnoException} (reset, refused,
     *     unreachable), or an IOException wrapping a handler's exception
     */
    default void onClose(Connection connection, IOException cause) {}
}
