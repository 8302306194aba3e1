// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.snippets;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.Frames;

/**
 * The examples in the Javadoc of {@link Frames} and of {@link Connection#keepUnread} and
 * {@link Connection#stage}: a protocol's messages, split and joined by reads as they come.
 */
final class ProtocolSnippets {
    private ProtocolSnippets() {}

    // @start region="framing"
    /** Answers each line with its length: lines split across reads, or many in one read, alike. */
    static final class LineLengths implements ConnectionHandler {
        private static final byte[] NEWLINE = {'\n'};

        @Override
        public void onOpen(Connection connection) {
            connection.keepUnread(1024);                   // a line's start comes back with its rest
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {
            int end;
            while ((end = Frames.delimited(data, NEWLINE, 1024)) >= 0) {
                int length = end - data.position() - 1;
                data.position(end);                        // the line is taken
                connection.stage(ascii(length + "\n"));   // the answers go out together, in one writev
            }
            if (end == Frames.TOO_LONG) {
                connection.write(ascii("line too long\n"));
                connection.close();
            }                                              // else the rest of data waits for more bytes
        }
    }
    // @end

    static void stage(Connection connection, ByteBuffer[] responses) {
        // @start region="stage"
        for (ByteBuffer response : responses) {
            connection.stage(response);                   // copied; nothing sent yet
        }                                                  // one writev once the handler returns
        // @end
    }

    static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }
}
