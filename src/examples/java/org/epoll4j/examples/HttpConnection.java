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
 * request: the parser reads the bytes where they are.
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
    private static final byte[] PLAINTEXT = "/plaintext".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] GET = "GET".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEAD = "HEAD".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HTTP_1 = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTENT_LENGTH = "content-length".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRANSFER_ENCODING = "transfer-encoding".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONNECTION = "connection".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HOST = "host".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE = "close".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEEP_ALIVE = "keep-alive".getBytes(StandardCharsets.US_ASCII);

    private final HttpResponses responses;
    private final Duration idleTimeout;

    /* What the request being parsed said; set by parse. */
    private Status status;
    private boolean head;
    private boolean http10;
    private boolean askedClose;
    private boolean askedKeepAlive;
    private int hosts;
    private boolean chunked;
    private long contentLength;
    private boolean hasContentLength;

    HttpConnection(HttpResponses responses, Duration idleTimeout) {
        this.responses = responses;
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
            parse(data, start, end);
            if (status != Status.OK && status != Status.NOT_FOUND && status != Status.METHOD_NOT_ALLOWED) {
                refuse(connection, status);
                return;
            }
            if (data.limit() - end < contentLength) {
                return; // the body is still to come: the whole request waits for it
            }
            data.position(end + (int) contentLength); // the body is not for this server
            boolean close = http10 ? !askedKeepAlive : askedClose;
            Persistence persistence = close ? Persistence.CLOSE : http10 ? Persistence.KEEP_ALIVE : Persistence.DEFAULT;
            connection.stage(responses.get(status, head, persistence)); // one writev for all of this read's
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

    /**
     * Parses the head from {@code start} to {@code end} (past its blank line) and sets what
     * it says: {@link #status} is 400 (or 431, 413, 501, 505) if it is not to be answered.
     */
    private void parse(ByteBuffer data, int start, int end) {
        head = false;
        http10 = false;
        askedClose = false;
        askedKeepAlive = false;
        hosts = 0;
        chunked = false;
        contentLength = 0;
        hasContentLength = false;
        int lineEnd = lineEnd(data, start, end);
        status = requestLine(data, start, lineEnd);
        if (status == Status.BAD_REQUEST || status == Status.VERSION_NOT_SUPPORTED) {
            return;
        }
        for (int line = lineEnd + 2; line < end - 2; ) {
            int next = lineEnd(data, line, end);
            if (!header(data, line, next)) {
                status = Status.BAD_REQUEST;
                return;
            }
            line = next + 2;
        }
        if (!http10 && hosts != 1 || hosts > 1) {
            status = Status.BAD_REQUEST; // RFC 9112 3.2: an HTTP/1.1 request without Host, or any with two
        } else if (chunked) {
            status = Status.NOT_IMPLEMENTED;
        } else if (contentLength > MAX_BODY) {
            status = Status.PAYLOAD_TOO_LARGE;
        }
    }

    /** {@code METHOD SP TARGET SP HTTP/1.x}: the status the request gets, or 400 or 505. */
    private Status requestLine(ByteBuffer data, int start, int end) {
        int space = indexOf(data, start, end, (byte) ' ');
        if (space <= start || !isToken(data, start, space)) {
            return Status.BAD_REQUEST;
        }
        boolean get = matches(data, start, space, GET);
        head = matches(data, start, space, HEAD);
        int target = space + 1;
        int targetEnd = indexOf(data, target, end, (byte) ' ');
        if (targetEnd <= target || !isVisible(data, target, targetEnd)) {
            return Status.BAD_REQUEST;
        }
        target = originForm(data, target, targetEnd);
        if (target < 0) {
            return Status.BAD_REQUEST;
        }
        int version = targetEnd + 1;
        if (end - version != HTTP_1.length + 1 || !matches(data, version, version + HTTP_1.length, HTTP_1)) {
            return end - version == HTTP_1.length + 1 && data.get(version) == 'H' ? Status.VERSION_NOT_SUPPORTED
                    : Status.BAD_REQUEST;
        }
        byte minor = data.get(end - 1);
        if (minor != '0' && minor != '1') {
            return Status.VERSION_NOT_SUPPORTED;
        }
        http10 = minor == '0';
        int path = indexOf(data, target, targetEnd, (byte) '?');
        if (!matches(data, target, path < 0 ? targetEnd : path, PLAINTEXT)) {
            return Status.NOT_FOUND;
        }
        return get || head ? Status.OK : Status.METHOD_NOT_ALLOWED;
    }

    /**
     * Where the path of a request target starts: itself in origin form ({@code /path}); in
     * absolute form ({@code http://host/path}), which RFC 9112 3.2.2 says to accept, after
     * the authority (its end if it has no path, which then counts as {@code /}); -1 otherwise.
     */
    private static int originForm(ByteBuffer data, int target, int end) {
        if (data.get(target) == '/') {
            return target;
        }
        int scheme = indexOf(data, target, end, (byte) ':');
        if (scheme <= target || end - scheme < 3 || data.get(scheme + 1) != '/' || data.get(scheme + 2) != '/') {
            return -1;
        }
        int path = indexOf(data, scheme + 3, end, (byte) '/');
        return path < 0 ? end : path;
    }

    /** One header line, {@code name: value}; false if malformed. Notes what the server needs of it. */
    private boolean header(ByteBuffer data, int start, int end) {
        int colon = indexOf(data, start, end, (byte) ':');
        if (colon <= start || !isToken(data, start, colon)) {
            return false; // no name, a name with spaces, or a folded line (obsolete, refused)
        }
        for (int i = colon + 1; i < end; i++) {
            byte b = data.get(i);
            if (b < ' ' && b != '\t' || b == 0x7f) {
                return false; // a control byte: CR, LF or NUL inside a value (RFC 9110 5.5), refused
            }
        }
        int value = colon + 1;
        while (value < end && (data.get(value) == ' ' || data.get(value) == '\t')) {
            value++;
        }
        int valueEnd = end;
        while (valueEnd > value && (data.get(valueEnd - 1) == ' ' || data.get(valueEnd - 1) == '\t')) {
            valueEnd--;
        }
        if (equalsIgnoreCase(data, start, colon, HOST)) {
            hosts++;
        } else if (equalsIgnoreCase(data, start, colon, CONTENT_LENGTH)) {
            long length = digits(data, value, valueEnd);
            if (length < 0 || hasContentLength && contentLength != length) {
                return false; // not a number, or two that differ (RFC 9112 6.3)
            }
            contentLength = length;
            hasContentLength = true;
        } else if (equalsIgnoreCase(data, start, colon, TRANSFER_ENCODING)) {
            chunked = true; // any coding: this server reads none
        } else if (equalsIgnoreCase(data, start, colon, CONNECTION)) {
            askedClose |= containsToken(data, value, valueEnd, CLOSE);
            askedKeepAlive |= containsToken(data, value, valueEnd, KEEP_ALIVE);
        }
        return true;
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

    /** Where the line from {@code start} ends (its CR), before {@code end}, which ends with CRLF. */
    private static int lineEnd(ByteBuffer data, int start, int end) {
        for (int i = start; i < end - 1; i++) {
            if (data.get(i) == '\r' && data.get(i + 1) == '\n') {
                return i;
            }
        }
        return end - 2;
    }

    private static int indexOf(ByteBuffer data, int start, int end, byte b) {
        for (int i = start; i < end; i++) {
            if (data.get(i) == b) {
                return i;
            }
        }
        return -1;
    }

    private static boolean matches(ByteBuffer data, int start, int end, byte[] expected) {
        if (end - start != expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (data.get(start + i) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    /** Against a lower-case ASCII name. */
    private static boolean equalsIgnoreCase(ByteBuffer data, int start, int end, byte[] lower) {
        if (end - start != lower.length) {
            return false;
        }
        for (int i = 0; i < lower.length; i++) {
            byte b = data.get(start + i);
            if ((b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b) != lower[i]) {
                return false;
            }
        }
        return true;
    }

    /** Whether the comma-separated list from {@code start} to {@code end} holds {@code token}, in any case. */
    private static boolean containsToken(ByteBuffer data, int start, int end, byte[] token) {
        int at = start;
        while (at < end) {
            int comma = indexOf(data, at, end, (byte) ',');
            int itemEnd = comma < 0 ? end : comma;
            int from = at;
            while (from < itemEnd && data.get(from) == ' ') {
                from++;
            }
            int to = itemEnd;
            while (to > from && data.get(to - 1) == ' ') {
                to--;
            }
            if (equalsIgnoreCase(data, from, to, token)) {
                return true;
            }
            at = itemEnd + 1;
        }
        return false;
    }

    /** The decimal number from {@code start} to {@code end}; -1 if it is not one, or too long. */
    private static long digits(ByteBuffer data, int start, int end) {
        if (start == end || end - start > 18) {
            return -1;
        }
        long number = 0;
        for (int i = start; i < end; i++) {
            byte b = data.get(i);
            if (b < '0' || b > '9') {
                return -1;
            }
            number = number * 10 + (b - '0');
        }
        return number;
    }

    /** RFC 9110's tchar: letters, digits and {@code !#$%&'*+-.^_`|~}. */
    private static boolean isToken(ByteBuffer data, int start, int end) {
        for (int i = start; i < end; i++) {
            byte b = data.get(i);
            boolean alnum = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9';
            if (!alnum && "!#$%&'*+-.^_`|~".indexOf(b) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Visible ASCII: no controls, spaces or bytes above 126. */
    private static boolean isVisible(ByteBuffer data, int start, int end) {
        for (int i = start; i < end; i++) {
            byte b = data.get(i);
            if (b <= ' ' || b > '~') {
                return false;
            }
        }
        return true;
    }
}
