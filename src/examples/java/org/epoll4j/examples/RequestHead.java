// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.examples;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.epoll4j.examples.HttpResponses.Status;

/**
 * The parser of one loop's HTTP/1.1 request heads, and what the last head it parsed said.
 * A loop parses one head at a time, so its connections share one parser (and one copy of
 * the head, 8 KiB) rather than each holding its own.
 *
 * <p>The head is copied out of the read first, in one bulk copy: a buffer the loop lends
 * checks that its memory is still open on every access, and the parser reads each byte
 * once or twice, so reading an array costs less than the copy saves. Each line is read in
 * one pass that checks its bytes as it looks for its end. No scan checks the head's length:
 * each stops at a CR at the latest, and a head ends with CRLF CRLF ({@link
 * HttpConnection} finds it with {@code Frames.delimited}), so no scan reaches the bytes of
 * an earlier, longer head still in the array.
 */
final class RequestHead {
    private static final byte[] PLAINTEXT = ascii("/plaintext");
    private static final byte[] GET = ascii("GET");
    private static final byte[] HEAD = ascii("HEAD");
    private static final byte[] HTTP_1 = ascii("HTTP/1.");
    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] HOST = ascii("host");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] KEEP_ALIVE = ascii("keep-alive");
    /** RFC 9110's tchar, by byte: letters, digits and {@code !#$%&'*+-.^_`|~}. */
    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (int b = 0; b < TCHAR.length; b++) {
            TCHAR[b] = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
        }
    }

    private final byte[] bytes = new byte[HttpConnection.MAX_HEAD];

    /* What the head said; set by parse. */
    private Status status;
    private boolean head;
    private boolean http10;
    private boolean askedClose;
    private boolean askedKeepAlive;
    private int hosts;
    private boolean chunked;
    private long contentLength;
    private boolean hasContentLength;

    /** The status to answer with: 200, 404 or 405; anything else is an error to refuse with. */
    Status status() {
        return status;
    }

    /** Whether the request is a HEAD (answered without a body). */
    boolean isHead() {
        return head;
    }

    /**
     * Whether the connection ends after the answer: on Connection: close, whatever else the
     * header says (RFC 9112 9.6), and for HTTP/1.0 unless it asks to be kept alive.
     */
    boolean closes() {
        return askedClose || http10 && !askedKeepAlive;
    }

    /** Whether the request is HTTP/1.0 (its answer says keep-alive when the connection stays). */
    boolean isHttp10() {
        return http10;
    }

    /** The length of the body after the head: 0 unless Content-Length says otherwise. */
    long contentLength() {
        return contentLength;
    }

    /**
     * Parses the head from {@code start} to {@code end} of {@code data} (past its blank line,
     * at most {@link HttpConnection#MAX_HEAD} bytes) and notes what it says: {@link #status()} is 400 (or
     * 413, 501, 505) if it is not to be answered. {@code data}'s position does not move.
     */
    void parse(ByteBuffer data, int start, int end) {
        int length = end - start;
        data.get(start, bytes, 0, length);
        if (length < 4 || bytes[length - 4] != '\r' || bytes[length - 3] != '\n' || bytes[length - 2] != '\r'
                || bytes[length - 1] != '\n') {
            throw new IllegalArgumentException("not a head: it does not end with CRLF CRLF"); // what the scans stop at
        }
        head = false;
        http10 = false;
        askedClose = false;
        askedKeepAlive = false;
        hosts = 0;
        chunked = false;
        contentLength = 0;
        hasContentLength = false;
        int line = requestLine(length);
        if (line < 0) {
            return;
        }
        while (line < length - 2) { // the head's last two bytes are its blank line
            line = header(line);
            if (line < 0) {
                status = Status.BAD_REQUEST;
                return;
            }
        }
        if (!http10 && hosts != 1 || hosts > 1) {
            status = Status.BAD_REQUEST; // RFC 9112 3.2: an HTTP/1.1 request without Host, or any with two
        } else if (chunked) {
            status = Status.NOT_IMPLEMENTED;
        } else if (contentLength > HttpConnection.MAX_BODY) {
            status = Status.PAYLOAD_TOO_LARGE;
        }
    }

    /**
     * {@code METHOD SP TARGET SP HTTP/1.x CRLF}, in a head of {@code length} bytes: sets the
     * status the request gets and returns where the next line starts, or sets 400 or 505 and
     * returns -1.
     */
    private int requestLine(int length) {
        status = Status.BAD_REQUEST;
        int space = 0;
        while (bytes[space] != ' ') {
            if (!isToken(bytes[space])) {
                return -1; // a CR included: a line with no space
            }
            space++;
        }
        if (space == 0) {
            return -1;
        }
        boolean get = matches(0, space, GET);
        head = matches(0, space, HEAD);
        int target = space + 1;
        int targetEnd = target;
        while (bytes[targetEnd] > ' ' && bytes[targetEnd] <= '~') { // visible ASCII
            targetEnd++;
        }
        if (targetEnd == target || bytes[targetEnd] != ' ') {
            return -1;
        }
        int path = originForm(target, targetEnd);
        if (path < 0) {
            return -1;
        }
        int version = targetEnd + 1;
        int lineEnd = lineEnd(version, length);
        if (lineEnd - version != HTTP_1.length + 1 || !matches(version, version + HTTP_1.length, HTTP_1)) {
            if (lineEnd - version == HTTP_1.length + 1 && bytes[version] == 'H') {
                status = Status.VERSION_NOT_SUPPORTED;
            }
            return -1;
        }
        byte minor = bytes[lineEnd - 1];
        if (minor != '0' && minor != '1') {
            status = Status.VERSION_NOT_SUPPORTED;
            return -1;
        }
        http10 = minor == '0';
        int query = indexOf(path, targetEnd, (byte) '?');
        if (!matches(path, query < 0 ? targetEnd : query, PLAINTEXT)) {
            status = Status.NOT_FOUND;
        } else {
            status = get || head ? Status.OK : Status.METHOD_NOT_ALLOWED;
        }
        return lineEnd + 2;
    }

    /**
     * Where the path of a request target starts: itself in origin form ({@code /path}); in
     * absolute form ({@code http://host/path}), which RFC 9112 3.2.2 says to accept, after
     * the authority (its end if it has no path, which then counts as {@code /}); -1 otherwise.
     */
    private int originForm(int target, int end) {
        if (bytes[target] == '/') {
            return target;
        }
        int scheme = indexOf(target, end, (byte) ':');
        if (scheme <= target || end - scheme < 3 || bytes[scheme + 1] != '/' || bytes[scheme + 2] != '/') {
            return -1;
        }
        int path = indexOf(scheme + 3, end, (byte) '/');
        return path < 0 ? end : path;
    }

    /**
     * One header line from {@code start}, {@code name: value CRLF}: notes what the server
     * needs of it and returns where the next line starts, or -1 if it is malformed.
     */
    private int header(int start) {
        int colon = start;
        while (bytes[colon] != ':') {
            if (!isToken(bytes[colon])) {
                return -1; // a name with spaces, a folded line (obsolete, refused), or no colon
            }
            colon++;
        }
        if (colon == start) {
            return -1;
        }
        int end = colon + 1;
        for (byte b; (b = bytes[end]) >= ' ' && b != 0x7f || b == '\t' || b < 0; ) {
            end++; // field-vchar (bytes above 127 included), spaces and tabs
        }
        if (bytes[end] != '\r' || bytes[end + 1] != '\n') {
            return -1; // a control byte (a bare CR or LF, NUL...) inside a value: RFC 9110 5.5, refused
        }
        int value = colon + 1;
        while (value < end && (bytes[value] == ' ' || bytes[value] == '\t')) {
            value++;
        }
        int valueEnd = end;
        while (valueEnd > value && (bytes[valueEnd - 1] == ' ' || bytes[valueEnd - 1] == '\t')) {
            valueEnd--;
        }
        if (equalsIgnoreCase(start, colon, HOST)) {
            hosts++;
        } else if (equalsIgnoreCase(start, colon, CONTENT_LENGTH)) {
            long length = digits(value, valueEnd);
            if (length < 0 || hasContentLength && contentLength != length) {
                return -1; // not a number, or two that differ (RFC 9112 6.3)
            }
            contentLength = length;
            hasContentLength = true;
        } else if (equalsIgnoreCase(start, colon, TRANSFER_ENCODING)) {
            chunked = true; // any coding: this server reads none
        } else if (equalsIgnoreCase(start, colon, CONNECTION)) {
            askedClose |= containsToken(value, valueEnd, CLOSE);
            askedKeepAlive |= containsToken(value, valueEnd, KEEP_ALIVE);
        }
        return end + 2;
    }

    /** Where the line from {@code start} ends (its CR), in a head of {@code length} bytes, which ends with CRLF. */
    private int lineEnd(int start, int length) {
        for (int i = start; i < length - 1; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
                return i;
            }
        }
        return length - 2;
    }

    private int indexOf(int start, int end, byte b) {
        for (int i = start; i < end; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private boolean matches(int start, int end, byte[] expected) {
        if (end - start != expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (bytes[start + i] != expected[i]) {
                return false;
            }
        }
        return true;
    }

    /** Against a lower-case ASCII name. */
    private boolean equalsIgnoreCase(int start, int end, byte[] lower) {
        if (end - start != lower.length) {
            return false;
        }
        for (int i = 0; i < lower.length; i++) {
            byte b = bytes[start + i];
            if ((b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b) != lower[i]) {
                return false;
            }
        }
        return true;
    }

    /** Whether the comma-separated list from {@code start} to {@code end} holds {@code token}, in any case. */
    private boolean containsToken(int start, int end, byte[] token) {
        int at = start;
        while (at < end) {
            int comma = indexOf(at, end, (byte) ',');
            int itemEnd = comma < 0 ? end : comma;
            int from = at;
            while (from < itemEnd && (bytes[from] == ' ' || bytes[from] == '\t')) { // OWS
                from++;
            }
            int to = itemEnd;
            while (to > from && (bytes[to - 1] == ' ' || bytes[to - 1] == '\t')) {
                to--;
            }
            if (equalsIgnoreCase(from, to, token)) {
                return true;
            }
            at = itemEnd + 1;
        }
        return false;
    }

    /** The decimal number from {@code start} to {@code end}; -1 if it is not one, or too long. */
    private long digits(int start, int end) {
        if (start == end || end - start > 18) {
            return -1;
        }
        long number = 0;
        for (int i = start; i < end; i++) {
            byte b = bytes[i];
            if (b < '0' || b > '9') {
                return -1;
            }
            number = number * 10 + (b - '0');
        }
        return number;
    }

    private static boolean isToken(byte b) {
        return b >= 0 && TCHAR[b];
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
