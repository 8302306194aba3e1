// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.snippets;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.EventLoop;
import org.epoll4j.EventLoopGroup;
import org.epoll4j.Frames;
import org.epoll4j.Server;
import org.epoll4j.epoll.ErrnoException;

/**
 * The examples in the Javadoc of {@link Frames}, {@link org.epoll4j.HandlerFactory} and of
 * {@link Connection#keepUnread} and {@link Connection#stage}: a protocol's messages, split
 * and joined by reads as they come, and state per connection and per loop.
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

    static Server perConnection(EventLoop loop) throws ErrnoException {
        // @start region="per-connection"
        // Each connection gets a handler of its own: its state is plain fields.
        return loop.listen(new InetSocketAddress("127.0.0.1", 7000), connection -> new ConnectionHandler() {
            private long bytes;                            // this connection's, on its loop's thread only

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                bytes += data.remaining();
                connection.write(data);
            }
        });
        // @end
    }

    static Server perLoop(EventLoopGroup group) throws ErrnoException {
        // @start region="per-loop"
        // Once per loop, on its thread: what the loop's connections share needs no lock.
        return group.listen(new InetSocketAddress(7000), loop -> {
            Map<String, byte[]> cache = new HashMap<>();  // this loop's, on its thread only
            return connection -> new CacheHandler(cache);
        }, EventLoopGroup.Sharing.REUSE_PORT);
        // @end
    }

    /** Answers from the loop's cache. */
    static final class CacheHandler implements ConnectionHandler {
        private final Map<String, byte[]> cache;

        CacheHandler(Map<String, byte[]> cache) {
            this.cache = cache;
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {
            String key = StandardCharsets.US_ASCII.decode(data).toString().trim();
            connection.write(ByteBuffer.wrap(cache.computeIfAbsent(key, k -> k.getBytes(StandardCharsets.US_ASCII))));
        }
    }

    static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }
}
