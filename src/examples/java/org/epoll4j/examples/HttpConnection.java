// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.examples;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.Frames;
import org.epoll4j.Idle;
import org.epoll4j.examples.HttpResponses.Persistence;
import org.epoll4j.examples.HttpResponses.Status;

/**
 * One HTTP/1.1 connection of {@link HttpServer}: requests are read as whole heads (and
 * bodies, which it skips) however the reads cut them, answered in order, and the answers
 * to all the requests of one read go out in one system call. Nothing is allocated per
 * request: a connection holds no more than its loop's responses and parser ({@link
 * RequestHead}), which parses one head at a time for all of the loop's connections.
 *
 * <p>What it answers: {@code GET} or {@code HEAD} of {@code /plaintext} (a query is
 * ignored) with {@code Hello, World!}; any other path with 404; another method with 405. A
 * malformed request line or header, a missing Host (HTTP/1.1), or a version other than 1.0
 * and 1.1 is answered with 400 (or 505) and the connection closes; so is a head over 8 KiB
 * (431), a body over 64 KiB (413) and a chunked body (501), which this server does not
 * read. HTTP/1.0 closes after its answer unless it asks to be kept alive.
 */
final class HttpConnection implements ConnectionHandler {
    static final int MAX_HEAD = 8 * 1024;
    static final int MAX_BODY = 64 * 1024;
    private static final byte[] END_OF_HEAD = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final HttpResponses responses;
    private final RequestHead request;
    private final Duration idleTimeout;

    /** A connection of the loop whose responses and parser these are. */
    HttpConnection(HttpResponses responses, RequestHead request, Duration idleTimeout) {
        this.responses = responses;
        this.request = request;
        this.idleTimeout = idleTimeout;
    }

    @Override
    public void onOpen(Connection connection) {
        connection.keepUnread(MAX_HEAD + MAX_BODY); // a request cut by a read comes back whole
        connection.setIdleTimeout(Idle.READ, idleTimeout);
    }

    @Override
    public void onData(Connection connection, ByteBuffer data) {
        while (data.hasRemaining() && connection.isOpen()) {
            skipEmptyLines(data); // RFC 9112 2.2: empty lines before a request line are ignored
            if (!data.hasRemaining()) {
                return;
            }
            int start = data.position();
            int end = Frames.delimited(data, END_OF_HEAD, MAX_HEAD);
            if (end == Frames.INCOMPLETE) {
                return; // the rest of the head comes with the next read
            }
            if (end == Frames.TOO_LONG) {
                refuse(connection, Status.HEAD_TOO_LARGE);
                return;
            }
            request.parse(data, start, end);
            Status status = request.status();
            if (status != Status.OK && status != Status.NOT_FOUND && status != Status.METHOD_NOT_ALLOWED) {
                refuse(connection, status);
                return;
            }
            if (data.limit() - end < request.contentLength()) {
                return; // the body is still to come: the whole request waits for it
            }
            data.position(end + (int) request.contentLength()); // the body is not for this server
            boolean close = request.closes();
            Persistence persistence = close ? Persistence.CLOSE
                    : request.isHttp10() ? Persistence.KEEP_ALIVE : Persistence.DEFAULT;
            // One writev for the answers to all of this read's requests.
            connection.stage(responses.get(status, request.isHead(), persistence));
            if (close) {
                connection.close(); // after what was staged
                return;
            }
        }
    }

    @Override
    public void onIdle(Connection connection, Idle kind) {
        // A client with nothing to say: FIN, and a reset if it does not end its side soon.
        connection.setCloseTimeout(Duration.ofSeconds(1));
        connection.close();
    }

    /** Answers with an error, which ends the connection: the stream cannot be trusted past a bad request. */
    private void refuse(Connection connection, Status error) {
        connection.stage(responses.get(error, false, Persistence.CLOSE));
        connection.setCloseTimeout(Duration.ofSeconds(1));
        connection.close();
    }

    /** Moves past the empty lines (CRLF, or a bare LF) at {@code data}'s position. */
    private static void skipEmptyLines(ByteBuffer data) {
        int at = data.position();
        while (at < data.limit() && (data.get(at) == '\n'
                || data.get(at) == '\r' && at + 1 < data.limit() && data.get(at + 1) == '\n')) {
            at += data.get(at) == '\n' ? 1 : 2;
        }
        data.position(at);
    }
}
