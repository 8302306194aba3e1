// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The responses of {@link VirtualThreadHttpServer}, each encoded once with every header: a
 * response costs a copy. A platform thread encodes a new set every second, for the Date, and
 * swaps it in whole; the connections read whichever set is current.
 */
final class HttpResponses {
    /** The statuses the server answers with. */
    enum Status {
        OK("200 OK"), NOT_FOUND("404 Not Found"), BAD_REQUEST("400 Bad Request"),
        HEAD_TOO_LARGE("431 Request Header Fields Too Large"), NOT_IMPLEMENTED("501 Not Implemented");

        final String line;

        Status(String line) {
            this.line = line;
        }
    }

    /** What a response says of the connection: nothing (HTTP/1.1 keeps it), keep-alive (HTTP/1.0), or close. */
    enum Persistence { DEFAULT, KEEP_ALIVE, CLOSE }

    private static final String HELLO = "Hello, World!";
    /* RFC 9110's IMF-fixdate. */
    private static final DateTimeFormatter DATE = DateTimeFormatter
            .ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    /* values() copies its array on each call: the lookup reads this count instead. */
    private static final int PERSISTENCES = Persistence.values().length;

    private static volatile HttpResponses current = new HttpResponses(System.currentTimeMillis());

    /** By status and persistence. */
    private final byte[][] responses = new byte[Status.values().length * PERSISTENCES][];

    private HttpResponses(long millis) {
        String date = DATE.format(Instant.ofEpochMilli(millis));
        for (Status status : Status.values()) {
            for (Persistence persistence : Persistence.values()) {
                responses[index(status, persistence)] = encode(status, persistence, date);
            }
        }
    }

    /** The response with this status and persistence, with the current Date: not to be modified. */
    static byte[] get(Status status, Persistence persistence) {
        return current.responses[index(status, persistence)];
    }

    /** Starts the daemon thread that renews the responses at the start of every second. */
    static void renewEverySecond() {
        Thread.ofPlatform().daemon().name("http-date").start(() -> {
            while (true) {
                try {
                    Thread.sleep(1000 - System.currentTimeMillis() % 1000);
                } catch (InterruptedException e) {
                    return;
                }
                current = new HttpResponses(System.currentTimeMillis());
            }
        });
    }

    private static int index(Status status, Persistence persistence) {
        return status.ordinal() * PERSISTENCES + persistence.ordinal();
    }

    private static byte[] encode(Status status, Persistence persistence, String date) {
        String body = status == Status.OK ? HELLO : "";
        StringBuilder response = new StringBuilder("HTTP/1.1 ").append(status.line).append("\r\n")
                .append("Server: virtual\r\n")
                .append("Date: ").append(date).append("\r\n");
        if (!body.isEmpty()) {
            response.append("Content-Type: text/plain\r\n");
        }
        response.append("Content-Length: ").append(body.length()).append("\r\n");
        switch (persistence) {
            case KEEP_ALIVE -> response.append("Connection: keep-alive\r\n");
            case CLOSE -> response.append("Connection: close\r\n");
            case DEFAULT -> { }
        }
        return response.append("\r\n").append(body).toString().getBytes(StandardCharsets.US_ASCII);
    }
}
