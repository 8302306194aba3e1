// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.examples;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * One loop's HTTP responses, each written out once with every header: a response costs
 * the server a copy, and no allocation. Their Date is renewed in place every second by a
 * timer of the loop's ({@link #date}); only that loop's thread reads or writes them.
 */
final class HttpResponses {
    /** The statuses the server answers with. */
    enum Status {
        OK("200 OK"), NOT_FOUND("404 Not Found"), METHOD_NOT_ALLOWED("405 Method Not Allowed"),
        BAD_REQUEST("400 Bad Request"), PAYLOAD_TOO_LARGE("413 Content Too Large"),
        HEAD_TOO_LARGE("431 Request Header Fields Too Large"), NOT_IMPLEMENTED("501 Not Implemented"),
        VERSION_NOT_SUPPORTED("505 HTTP Version Not Supported");

        final String line;

        Status(String line) {
            this.line = line;
        }
    }

    /** What the response says of the connection: nothing (HTTP/1.1 keeps it), keep-alive (HTTP/1.0), or close. */
    enum Persistence { DEFAULT, KEEP_ALIVE, CLOSE }

    static final byte[] HELLO = "Hello, World!".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NOT_FOUND_BODY = "Not Found".getBytes(StandardCharsets.US_ASCII);
    /* RFC 9110's IMF-fixdate, always 29 characters. */
    private static final DateTimeFormatter DATE = DateTimeFormatter
            .ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final int DATE_LENGTH = 29;

    /** Every response: by status, whether to a HEAD request, and persistence. */
    private final ByteBuffer[] responses = new ByteBuffer[Status.values().length * 2 * Persistence.values().length];
    private final int[] dateAt = new int[responses.length];

    HttpResponses() {
        for (Status status : Status.values()) {
            for (boolean head : new boolean[] {false, true}) {
                for (Persistence persistence : Persistence.values()) {
                    int index = index(status, head, persistence);
                    String text = head(status, persistence, body(status).length);
                    dateAt[index] = text.indexOf("Date: ") + "Date: ".length();
                    byte[] headBytes = text.getBytes(StandardCharsets.US_ASCII);
                    byte[] body = head ? new byte[0] : body(status);
                    ByteBuffer response = ByteBuffer.allocate(headBytes.length + body.length);
                    responses[index] = response.put(headBytes).put(body).flip();
                }
            }
        }
        date(System.currentTimeMillis());
    }

    /**
     * The response, ready to stage: the same buffer each time (staging copies it and moves its
     * position, which this puts back).
     */
    ByteBuffer get(Status status, boolean head, Persistence persistence) {
        return responses[index(status, head, persistence)].rewind();
    }

    /** Writes the date of {@code millis} into every response. */
    void date(long millis) {
        byte[] date = DATE.format(Instant.ofEpochMilli(millis)).getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < responses.length; i++) {
            responses[i].put(dateAt[i], date);
        }
    }

    private static int index(Status status, boolean head, Persistence persistence) {
        return (status.ordinal() * 2 + (head ? 1 : 0)) * Persistence.values().length + persistence.ordinal();
    }

    private static byte[] body(Status status) {
        return switch (status) {
            case OK -> HELLO;
            case NOT_FOUND -> NOT_FOUND_BODY;
            default -> new byte[0];
        };
    }

    private static String head(Status status, Persistence persistence, int contentLength) {
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status.line).append("\r\n")
                .append("Server: epoll4j\r\n")
                .append("Date: ").append("x".repeat(DATE_LENGTH)).append("\r\n");
        if (status == Status.METHOD_NOT_ALLOWED) {
            head.append("Allow: GET, HEAD\r\n");
        }
        if (contentLength > 0) {
            head.append("Content-Type: text/plain\r\n");
        }
        head.append("Content-Length: ").append(contentLength).append("\r\n");
        switch (persistence) {
            case KEEP_ALIVE -> head.append("Connection: keep-alive\r\n");
            case CLOSE -> head.append("Connection: close\r\n");
            case DEFAULT -> { }
        }
        return head.append("\r\n").toString();
    }
}
