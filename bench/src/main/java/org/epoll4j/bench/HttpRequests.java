// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.epoll4j.bench.HttpResponses.Persistence;
import org.epoll4j.bench.HttpResponses.Status;

/**
 * The request side of one {@link VirtualThreadHttpServer} connection: finds the whole requests
 * in what was read, however the reads cut them, and collects the answer to each in order, to
 * be written at once.
 *
 * <p>What it answers: {@code GET /plaintext} (a query is ignored) with {@code Hello, World!};
 * any other well-formed request with 404. A request line that is not {@code METHOD SP TARGET
 * SP HTTP/1.0|1.1}, or a header line without a name and colon, gets 400; a head over 8 KiB
 * gets 431; a Transfer-Encoding gets 501 (this server reads no chunked body): each of these
 * ends the connection after its answer. A Content-Length body is skipped. HTTP/1.0 closes
 * after its answer unless it asks to be kept alive; {@code Connection: close} closes. Lines
 * end with CRLF; empty lines before a request line are skipped (RFC 9112 2.2).
 */
final class HttpRequests {
    static final int MAX_HEAD = 8 * 1024;
    /** Room for an unfinished head of up to {@link #MAX_HEAD} and a read as large again after it. */
    static final int READ_BUFFER = 2 * MAX_HEAD;

    private static final byte[] GET = ascii("GET");
    private static final byte[] PLAINTEXT = ascii("/plaintext");
    private static final byte[] HTTP_1 = ascii("HTTP/1.");
    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] KEEP_ALIVE = ascii("keep-alive");

    private byte[] output = new byte[READ_BUFFER];
    private int pending;
    private boolean mustClose;
    /** Bytes of the last request's body not read yet: skipped as they come. */
    private long bodyLeft;

    /* What the request being parsed said; set by parse. */
    private boolean http10;
    private boolean askedClose;
    private boolean askedKeepAlive;
    private long contentLength;

    /**
     * Answers each whole request in {@code data[0, filled)} and returns how many of its bytes
     * it used: the rest starts a request still to come. Stops at a request that ends the
     * connection ({@link #mustClose}).
     */
    int answer(byte[] data, int filled) {
        int at = skipBody(0, filled);
        while (!mustClose && bodyLeft == 0) {
            at = skipEmptyLines(data, at, filled);
            int end = endOfHead(data, at, Math.min(filled, at + MAX_HEAD));
            if (end < 0) {
                if (filled - at >= MAX_HEAD) {
                    respond(Status.HEAD_TOO_LARGE, Persistence.CLOSE);
                }
                break; // the rest of the head comes with the next read
            }
            Status status = parse(data, at, end);
            at = end;
            if (status != Status.OK && status != Status.NOT_FOUND) {
                respond(status, Persistence.CLOSE);
                break;
            }
            boolean close = http10 ? !askedKeepAlive : askedClose;
            respond(status, close ? Persistence.CLOSE : http10 ? Persistence.KEEP_ALIVE : Persistence.DEFAULT);
            bodyLeft = contentLength;
            at = skipBody(at, filled);
        }
        return at;
    }

    /** The responses collected since the last {@link #sent}: the first {@link #pending} bytes. */
    byte[] output() {
        return output;
    }

    int pending() {
        return pending;
    }

    /** The collected responses were written. */
    void sent() {
        pending = 0;
    }

    /** Whether the connection ends once the responses are written. */
    boolean mustClose() {
        return mustClose;
    }

    private int skipBody(int at, int filled) {
        int skipped = (int) Math.min(bodyLeft, filled - at);
        bodyLeft -= skipped;
        return at + skipped;
    }

    private void respond(Status status, Persistence persistence) {
        byte[] response = HttpResponses.get(status, persistence);
        if (pending + response.length > output.length) {
            output = Arrays.copyOf(output, Math.max(2 * output.length, pending + response.length));
        }
        System.arraycopy(response, 0, output, pending, response.length);
        pending += response.length;
        mustClose = persistence == Persistence.CLOSE;
    }

    /** Parses the head {@code data[start, end)}, which ends with an empty line: the status it gets. */
    private Status parse(byte[] data, int start, int end) {
        http10 = false;
        askedClose = false;
        askedKeepAlive = false;
        contentLength = 0;
        int lineEnd = lineEnd(data, start, end);
        Status status = requestLine(data, start, lineEnd);
        if (status == Status.BAD_REQUEST) {
            return status;
        }
        for (int line = lineEnd + 2; line < end - 2; ) {
            int next = lineEnd(data, line, end);
            Status header = header(data, line, next);
            if (header != Status.OK) {
                return header;
            }
            line = next + 2;
        }
        return status;
    }

    /** {@code METHOD SP TARGET SP HTTP/1.0|1.1}: OK or NOT_FOUND, or BAD_REQUEST if malformed. */
    private Status requestLine(byte[] data, int start, int end) {
        int space = indexOf(data, start, end, (byte) ' ');
        if (space <= start || !isToken(data, start, space)) {
            return Status.BAD_REQUEST;
        }
        int target = space + 1;
        int targetEnd = indexOf(data, target, end, (byte) ' ');
        if (targetEnd <= target || !isVisible(data, target, targetEnd)) {
            return Status.BAD_REQUEST;
        }
        int version = targetEnd + 1;
        if (end - version != HTTP_1.length + 1 || !matches(data, version, version + HTTP_1.length, HTTP_1)
                || data[end - 1] != '0' && data[end - 1] != '1') {
            return Status.BAD_REQUEST;
        }
        http10 = data[end - 1] == '0';
        int query = indexOf(data, target, targetEnd, (byte) '?');
        boolean plaintext = matches(data, target, query < 0 ? targetEnd : query, PLAINTEXT);
        return plaintext && matches(data, start, space, GET) ? Status.OK : Status.NOT_FOUND;
    }

    /** One header line, {@code name: value}: OK, or the status that refuses the request. */
    private Status header(byte[] data, int start, int end) {
        int colon = indexOf(data, start, end, (byte) ':');
        if (colon <= start || !isToken(data, start, colon)) {
            return Status.BAD_REQUEST; // no name, a name with spaces, or a folded line
        }
        int value = colon + 1;
        while (value < end && (data[value] == ' ' || data[value] == '\t')) {
            value++;
        }
        int valueEnd = end;
        while (valueEnd > value && (data[valueEnd - 1] == ' ' || data[valueEnd - 1] == '\t')) {
            valueEnd--;
        }
        if (equalsIgnoreCase(data, start, colon, CONTENT_LENGTH)) {
            contentLength = digits(data, value, valueEnd);
            return contentLength < 0 ? Status.BAD_REQUEST : Status.OK;
        }
        if (equalsIgnoreCase(data, start, colon, TRANSFER_ENCODING)) {
            return Status.NOT_IMPLEMENTED;
        }
        if (equalsIgnoreCase(data, start, colon, CONNECTION)) {
            for (int item = value; item < valueEnd; ) {
                int comma = indexOf(data, item, valueEnd, (byte) ',');
                int itemEnd = comma < 0 ? valueEnd : comma;
                int from = item;
                int to = itemEnd;
                while (from < to && data[from] == ' ') {
                    from++;
                }
                while (to > from && data[to - 1] == ' ') {
                    to--;
                }
                askedClose |= equalsIgnoreCase(data, from, to, CLOSE);
                askedKeepAlive |= equalsIgnoreCase(data, from, to, KEEP_ALIVE);
                item = itemEnd + 1;
            }
        }
        return Status.OK;
    }

    private static int skipEmptyLines(byte[] data, int at, int filled) {
        while (at + 1 < filled && data[at] == '\r' && data[at + 1] == '\n') {
            at += 2;
        }
        return at;
    }

    /** Where the head starting at {@code start} ends, past its empty line, if before {@code limit}; -1 if not. */
    private static int endOfHead(byte[] data, int start, int limit) {
        for (int i = start; i + 3 < limit; i++) {
            if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n') {
                return i + 4;
            }
        }
        return -1;
    }

    /** Where the line from {@code start} ends (its CR), before {@code end}, which ends with CRLF. */
    private static int lineEnd(byte[] data, int start, int end) {
        for (int i = start; i < end - 1; i++) {
            if (data[i] == '\r' && data[i + 1] == '\n') {
                return i;
            }
        }
        return end - 2;
    }

    private static int indexOf(byte[] data, int start, int end, byte b) {
        for (int i = start; i < end; i++) {
            if (data[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static boolean matches(byte[] data, int start, int end, byte[] expected) {
        return Arrays.equals(data, start, end, expected, 0, expected.length);
    }

    /** Against a lower-case ASCII name. */
    private static boolean equalsIgnoreCase(byte[] data, int start, int end, byte[] lower) {
        if (end - start != lower.length) {
            return false;
        }
        for (int i = 0; i < lower.length; i++) {
            byte b = data[start + i];
            if ((b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b) != lower[i]) {
                return false;
            }
        }
        return true;
    }

    /** The decimal number in {@code data[start, end)}; -1 if it is not one, or too long. */
    private static long digits(byte[] data, int start, int end) {
        if (start == end || end - start > 18) {
            return -1;
        }
        long number = 0;
        for (int i = start; i < end; i++) {
            if (data[i] < '0' || data[i] > '9') {
                return -1;
            }
            number = number * 10 + (data[i] - '0');
        }
        return number;
    }

    /** RFC 9110's tchar: letters, digits and {@code !#$%&'*+-.^_`|~}. */
    private static boolean isToken(byte[] data, int start, int end) {
        for (int i = start; i < end; i++) {
            byte b = data[i];
            boolean alnum = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9';
            if (!alnum && "!#$%&'*+-.^_`|~".indexOf(b) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Visible ASCII: no controls, spaces or bytes above 126. */
    private static boolean isVisible(byte[] data, int start, int end) {
        for (int i = start; i < end; i++) {
            if (data[i] <= ' ' || data[i] > '~') {
                return false;
            }
        }
        return true;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
