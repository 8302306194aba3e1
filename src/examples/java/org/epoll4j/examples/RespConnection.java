// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.examples;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;

/**
 * One client of {@link RespServer}: RESP2 commands, as arrays of bulk strings or inline
 * (a line of words), read whole however the reads cut them, run in order against the
 * {@link Keyspace}, and the replies to all the commands of one read sent in one system call.
 * A command is parsed where its bytes are; only what the keyspace keeps is copied.
 *
 * <p>Commands: PING, ECHO, SET, GET, DEL, EXISTS, INCR, MGET; CONFIG GET of save and
 * appendonly, and COMMAND (an empty array), which redis-benchmark and redis-cli ask; QUIT. A
 * malformed request gets {@code -ERR Protocol error: ...} and the connection closes, as Redis
 * does; so does a bulk string over 512 KiB or a command over 2 MiB (this example's limits;
 * Redis takes 512 MB).
 */
final class RespConnection implements ConnectionHandler {
    /** The longest bulk string taken. */
    static final int MAX_BULK = 512 * 1024;
    /** The longest command kept while its rest is read: a few bulk strings of the longest. */
    static final int MAX_COMMAND = 4 * MAX_BULK;
    private static final int MAX_ARGUMENTS = 1024 * 1024;
    private static final int MAX_INLINE = 64 * 1024;
    private static final int INCOMPLETE = -1;
    private static final int MALFORMED = -2;
    private static final int BARE_CR = -3;

    private final Keyspace keyspace;
    /** The loop's reply buffer: replies are built here, then staged (copied) before onData returns. */
    private final ByteBuffer out;
    /* The command being run: where each argument is in data, and how long. */
    private int[] starts = new int[8];
    private int[] lengths = new int[8];
    private int arguments;
    private String protocolError;

    RespConnection(Keyspace keyspace, ByteBuffer out) {
        this.keyspace = keyspace;
        this.out = out;
    }

    @Override
    public void onOpen(Connection connection) {
        connection.keepUnread(MAX_COMMAND); // a command cut by a read comes back whole
    }

    @Override
    public void onData(Connection connection, ByteBuffer data) {
        out.clear();
        try {
            while (data.hasRemaining() && connection.isOpen()) {
                int end = data.get(data.position()) == '*' ? parseArray(data) : parseInline(data);
                if (end == INCOMPLETE && data.remaining() >= MAX_COMMAND) {
                    end = malformed("command longer than " + MAX_COMMAND + " bytes"); // it would never fit
                }
                if (end == INCOMPLETE) {
                    return; // the rest of the command comes with the next read
                }
                if (end == MALFORMED) {
                    error("Protocol error: " + protocolError, connection);
                    stage(connection);
                    connection.close();
                    return;
                }
                if (arguments > 0 && !run(connection, data)) {
                    data.position(end);
                    stage(connection);
                    connection.close(); // QUIT
                    return;
                }
                data.position(end);
            }
        } finally {
            if (connection.isOpen()) {
                stage(connection);
            }
        }
    }

    /** Stages the replies built so far: one writev for all of this read's, when onData returns. */
    private void stage(Connection connection) {
        if (out.position() > 0) {
            connection.stage(out.flip());
            out.clear();
        }
    }

    // ------------------------------------------------------------ parsing

    /** {@code *N\r\n} then N times {@code $LEN\r\nBYTES\r\n}: where it ends, INCOMPLETE or MALFORMED. */
    private int parseArray(ByteBuffer data) {
        int at = data.position() + 1;
        int lineEnd = lineEnd(data, at);
        if (lineEnd == BARE_CR) {
            return malformed("invalid multibulk length");
        }
        if (lineEnd < 0) {
            return data.limit() - at > 32 ? malformed("invalid multibulk length") : INCOMPLETE;
        }
        long count = number(data, at, lineEnd);
        if (count > MAX_ARGUMENTS || count < -1 || count == Long.MIN_VALUE) {
            return malformed("invalid multibulk length");
        }
        arguments = 0;
        at = lineEnd + 2;
        for (long i = 0; i < count; i++) {
            if (at >= data.limit()) {
                return INCOMPLETE;
            }
            if (data.get(at) != '$') {
                return malformed("expected '$', got '" + (char) data.get(at) + "'");
            }
            lineEnd = lineEnd(data, at + 1);
            if (lineEnd == BARE_CR) {
                return malformed("invalid bulk length");
            }
            if (lineEnd < 0) {
                return data.limit() - at > 32 ? malformed("invalid bulk length") : INCOMPLETE;
            }
            long length = number(data, at + 1, lineEnd);
            if (length < 0 || length > MAX_BULK) {
                return malformed("invalid bulk length");
            }
            int start = lineEnd + 2;
            if (data.limit() - start < length + 2) {
                return INCOMPLETE;
            }
            if (data.get(start + (int) length) != '\r' || data.get(start + (int) length + 1) != '\n') {
                return malformed("expected CRLF after a bulk string");
            }
            argument(start, (int) length);
            at = start + (int) length + 2;
        }
        return at;
    }

    /** A line of words separated by spaces: where it ends (past its LF), INCOMPLETE or MALFORMED. */
    private int parseInline(ByteBuffer data) {
        int start = data.position();
        int newline = -1;
        for (int i = start; i < data.limit(); i++) {
            if (data.get(i) == '\n') {
                newline = i;
                break;
            }
        }
        if (newline < 0) {
            return data.limit() - start > MAX_INLINE ? malformed("too big inline request") : INCOMPLETE;
        }
        int end = newline > start && data.get(newline - 1) == '\r' ? newline - 1 : newline;
        arguments = 0;
        for (int i = start; i < end; ) {
            while (i < end && data.get(i) == ' ') {
                i++;
            }
            int word = i;
            while (i < end && data.get(i) != ' ') {
                i++;
            }
            if (i > word) {
                argument(word, i - word);
            }
        }
        return newline + 1;
    }

    private void argument(int start, int length) {
        if (arguments == starts.length) {
            starts = java.util.Arrays.copyOf(starts, arguments * 2);
            lengths = java.util.Arrays.copyOf(lengths, arguments * 2);
        }
        starts[arguments] = start;
        lengths[arguments++] = length;
    }

    private int malformed(String why) {
        protocolError = why;
        return MALFORMED;
    }

    /** Where the CR of the line from {@code at} is; -1 if its CRLF is not here yet, BARE_CR if a CR is not followed by LF. */
    private static int lineEnd(ByteBuffer data, int at) {
        for (int i = at; i < data.limit() - 1; i++) {
            if (data.get(i) == '\r') {
                return data.get(i + 1) == '\n' ? i : BARE_CR;
            }
        }
        return -1;
    }

    /** The decimal number from {@code start} to {@code end} (a minus sign allowed); Long.MIN_VALUE if not one. */
    private static long number(ByteBuffer data, int start, int end) {
        boolean negative = start < end && data.get(start) == '-';
        int from = negative ? start + 1 : start;
        if (from == end || end - from > 18) {
            return Long.MIN_VALUE;
        }
        long value = 0;
        for (int i = from; i < end; i++) {
            byte b = data.get(i);
            if (b < '0' || b > '9') {
                return Long.MIN_VALUE;
            }
            value = value * 10 + (b - '0');
        }
        return negative ? -value : value;
    }

    // ------------------------------------------------------------ commands

    /** Runs the command parsed; false if the connection is to close (QUIT). */
    private boolean run(Connection connection, ByteBuffer data) {
        int name = starts[0];
        int nameLength = lengths[0];
        if (is(data, name, nameLength, "get")) {
            if (arity(2, 2, "get", connection)) {
                byte[] value = keyspace.get(data, starts[1], lengths[1]);
                if (value == null) {
                    simple("$-1", connection);
                } else {
                    bulk(value, connection);
                }
            }
        } else if (is(data, name, nameLength, "set")) {
            if (arity(3, Integer.MAX_VALUE, "set", connection)) {
                if (arguments > 3) {
                    error("syntax error", connection); // EX, PX, NX, XX: not in this server
                } else {
                    keyspace.set(data, starts[1], lengths[1], starts[2], lengths[2]);
                    simple("+OK", connection);
                }
            }
        } else if (is(data, name, nameLength, "ping")) {
            if (arity(1, 2, "ping", connection)) {
                if (arguments == 1) {
                    simple("+PONG", connection);
                } else {
                    bulk(data, starts[1], lengths[1], connection);
                }
            }
        } else if (is(data, name, nameLength, "echo")) {
            if (arity(2, 2, "echo", connection)) {
                bulk(data, starts[1], lengths[1], connection);
            }
        } else if (is(data, name, nameLength, "del") || is(data, name, nameLength, "exists")) {
            boolean delete = nameLength == 3;
            if (arity(2, Integer.MAX_VALUE, delete ? "del" : "exists", connection)) {
                long count = 0;
                for (int i = 1; i < arguments; i++) {
                    boolean there = delete ? keyspace.delete(data, starts[i], lengths[i])
                            : keyspace.get(data, starts[i], lengths[i]) != null;
                    count += there ? 1 : 0;
                }
                integer(count, connection);
            }
        } else if (is(data, name, nameLength, "incr")) {
            if (arity(2, 2, "incr", connection)) {
                Long value = keyspace.increment(data, starts[1], lengths[1]);
                if (value == null) {
                    error("value is not an integer or out of range", connection);
                } else {
                    integer(value, connection);
                }
            }
        } else if (is(data, name, nameLength, "mget")) {
            if (arity(2, Integer.MAX_VALUE, "mget", connection)) {
                header('*', arguments - 1, connection);
                for (int i = 1; i < arguments; i++) {
                    byte[] value = keyspace.get(data, starts[i], lengths[i]);
                    if (value == null) {
                        simple("$-1", connection);
                    } else {
                        bulk(value, connection);
                    }
                }
            }
        } else if (is(data, name, nameLength, "config")) {
            config(data, connection);
        } else if (is(data, name, nameLength, "command")) {
            simple("*0", connection); // no command docs to give
        } else if (is(data, name, nameLength, "quit")) {
            simple("+OK", connection);
            return false;
        } else {
            StringBuilder message = new StringBuilder("unknown command '").append(text(data, name, nameLength))
                    .append("', with args beginning with: ");
            for (int i = 1; i < arguments; i++) {
                message.append('\'').append(text(data, starts[i], lengths[i])).append("' ");
            }
            error(message.toString(), connection);
        }
        return true;
    }

    /**
     * CONFIG GET of the two settings that redis-benchmark asks about (a server that saves
     * nothing, and keeps no append-only file); any other setting is not there.
     */
    private void config(ByteBuffer data, Connection connection) {
        if (arguments != 3 || !is(data, starts[1], lengths[1], "get")) {
            error("this server has CONFIG GET only", connection);
        } else if (is(data, starts[2], lengths[2], "save") || is(data, starts[2], lengths[2], "appendonly")) {
            header('*', 2, connection);
            bulk(data, starts[2], lengths[2], connection);
            bulk(lengths[2] == 4 ? EMPTY : NO, connection);
        } else {
            simple("*0", connection);
        }
    }

    private static final byte[] EMPTY = new byte[0];
    private static final byte[] NO = "no".getBytes(StandardCharsets.US_ASCII);

    /** Whether the command has {@code min} to {@code max} arguments, its name included; else an error reply. */
    private boolean arity(int min, int max, String command, Connection connection) {
        if (arguments >= min && arguments <= max) {
            return true;
        }
        error("wrong number of arguments for '" + command + "' command", connection);
        return false;
    }

    private static boolean is(ByteBuffer data, int start, int length, String lowerCaseName) {
        if (length != lowerCaseName.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            byte b = data.get(start + i);
            if ((b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b) != lowerCaseName.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static String text(ByteBuffer data, int start, int length) {
        byte[] bytes = new byte[Math.min(length, 128)];
        data.get(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------ replies

    private void simple(String line, Connection connection) {
        room(line.length() + 2, connection);
        for (int i = 0; i < line.length(); i++) {
            out.put((byte) line.charAt(i));
        }
        out.put((byte) '\r').put((byte) '\n');
    }

    private void error(String message, Connection connection) {
        simple("-ERR " + message.replace('\r', ' ').replace('\n', ' '), connection);
    }

    private void integer(long value, Connection connection) {
        header(':', value, connection);
    }

    /** {@code type} (*, $ or :) then {@code value} in decimal, then CRLF. */
    private void header(char type, long value, Connection connection) {
        room(24, connection);
        out.put((byte) type);
        if (value < 0) {
            out.put((byte) '-');
            value = -value;
        }
        long scale = 1;
        while (scale <= value / 10) {
            scale *= 10;
        }
        for (; scale > 0; scale /= 10) {
            out.put((byte) ('0' + value / scale % 10));
        }
        out.put((byte) '\r').put((byte) '\n');
    }

    private void bulk(byte[] value, Connection connection) {
        header('$', value.length, connection);
        if (value.length + 2 > out.remaining()) {
            stage(connection); // a long value goes from its own array, after what was built
            connection.stage(ByteBuffer.wrap(value));
        } else {
            out.put(value);
        }
        room(2, connection);
        out.put((byte) '\r').put((byte) '\n');
    }

    private void bulk(ByteBuffer data, int start, int length, Connection connection) {
        header('$', length, connection);
        if (length + 2 > out.remaining()) {
            stage(connection);
            connection.stage(data.slice(start, length));
        } else {
            out.put(out.position(), data, start, length).position(out.position() + length);
        }
        room(2, connection);
        out.put((byte) '\r').put((byte) '\n');
    }

    /** Makes room for {@code bytes} in the reply buffer, staging what it holds if need be. */
    private void room(int bytes, Connection connection) {
        if (out.remaining() < bytes) {
            stage(connection);
        }
    }
}
