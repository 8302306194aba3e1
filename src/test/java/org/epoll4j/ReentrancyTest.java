// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.epoll4j.kernel.EventFd;
import org.epoll4j.loop.Interest;
import org.epoll4j.loop.Source;
import org.epoll4j.loop.Sources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a handler may do to other connections while it holds its own data. */
@Timeout(30)
class ReentrancyTest {
    private static final int SIZE = 1000;

    @Test
    void dataHoldsItsOwnConnectionsBytesWhileTheHandlerClosesAnotherWithUnreadInput() throws Exception {
        // Guards a bug: closing B read B's unread input into the loop's one read buffer, under
        // A's data, and A's echo sent B's bytes to A's client: 1,000 of 1,000 were B's.
        AtomicReference<Connection> quiet = new AtomicReference<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                if (data.get(0) == 'B' && quiet.compareAndSet(null, connection)) {
                    connection.pauseReading(); // B's next bytes stay unread in the kernel
                    return;
                }
                Connection other = quiet.get();
                if (other != null && other != connection) {
                    other.close();
                }
                connection.write(data);
            }
        };
        try (LoopThread server = LoopThread.serve(handler);
             Socket b = EchoClient.connect(server.address());
             Socket a = EchoClient.connect(server.address())) {
            b.getOutputStream().write('B');
            Eventually.until("B is paused", () -> quiet.get() != null);
            byte[] bBytes = filled('b');
            b.getOutputStream().write(bBytes);
            int bFd = server.call(() -> Sources.fd(quiet.get()));
            Eventually.until("B's bytes wait unread on the server", () -> Poll.readable(bFd));

            byte[] aBytes = filled('a');
            a.getOutputStream().write(aBytes);
            assertArrayEquals(aBytes, a.getInputStream().readNBytes(SIZE), "A's echo is A's own bytes");
        }
    }

    @Test
    void dataEndsWhereTheReadEndedWhateverEarlierReadsLeftInTheBuffer() throws Exception {
        // Guards a bug: data's capacity was the loop's whole 64 KiB buffer, so data.clear()
        // showed the bytes an earlier read had left there for another connection.
        List<Integer> seen = new CopyOnWriteArrayList<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                int limit = data.limit();
                seen.add(data.capacity() == limit && data.clear().remaining() == limit ? limit : -1);
                connection.write(data.clear().limit(limit));
            }
        };
        try (LoopThread server = LoopThread.serve(handler);
             Socket big = EchoClient.connect(server.address());
             Socket small = EchoClient.connect(server.address())) {
            big.getOutputStream().write(filled('x'));
            big.getInputStream().readNBytes(SIZE);
            small.getOutputStream().write('y');
            assertEquals('y', small.getInputStream().read());
            assertTrue(seen.stream().allMatch(n -> n > 0), "views reaching past the read: " + seen);
        }
    }

    @Test
    void anotherThreadMayReadDataWhileTheHandlerWaitsForIt() throws Exception {
        // Guards a regression: with the read buffer confined to the loop's thread, a handler
        // that handed data to the JDK's own threads for the length of its call (an
        // AsynchronousFileChannel write, then get()) hung the loop.
        Path file = Files.createTempFile("epoll4j", ".bin");
        try (AsynchronousFileChannel out = AsynchronousFileChannel.open(file, StandardOpenOption.WRITE)) {
            ConnectionHandler handler = (connection, data) -> {
                try {
                    int written = out.write(data, 0).get(20, TimeUnit.SECONDS);
                    connection.write(ByteBuffer.wrap(new byte[] {(byte) written}));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            try (LoopThread server = LoopThread.serve(handler); Socket client = EchoClient.connect(server.address())) {
                client.getOutputStream().write("abc".getBytes(StandardCharsets.US_ASCII));
                assertEquals(3, client.getInputStream().read(), "bytes the other thread wrote");
                assertEquals("abc", Files.readString(file, StandardCharsets.US_ASCII));
            }
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void anEventForAConnectionClosedEarlierInTheSameBatchReachesNothing() throws Exception {
        // Two connections become readable before the loop waits; the first handler to run
        // closes the other and registers a source that takes its slot and, most likely, its
        // fd number. The other's event, already in the batch, must reach neither.
        List<Integer> strayEvents = new CopyOnWriteArrayList<>();
        AtomicReference<Source> recorder = new AtomicReference<>();
        List<Connection> connections = new CopyOnWriteArrayList<>();
        ConnectionHandler handler = new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connections.add(connection);
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                if (recorder.get() != null) {
                    return;
                }
                for (Connection other : connections) {
                    if (other != connection) {
                        other.abort();
                    }
                }
                recorder.set(RecordingSource.register(connection.loop(), strayEvents));
            }
        };
        try (LoopThread server = LoopThread.serve(handler);
             Socket first = EchoClient.connect(server.address());
             Socket second = EchoClient.connect(server.address())) {
            Eventually.until("both are open", () -> connections.size() == 2);
            int[] fds = server.call(() -> connections.stream().mapToInt(Sources::fd).toArray());
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch hold = new CountDownLatch(1);
            server.loop().execute(() -> { // keeps the loop from waiting meanwhile
                held.countDown();
                await(hold);
            });
            await(held);
            first.getOutputStream().write(1);
            second.getOutputStream().write(2);
            for (int fd : fds) {
                Eventually.until("both are readable", () -> Poll.readable(fd));
            }
            hold.countDown();
            Eventually.until("one handler ran", () -> recorder.get() != null);
            server.call(() -> null);
            assertEquals(List.of(), strayEvents, "events delivered to the source that took the slot");
            server.call(() -> {
                ((RecordingSource) recorder.get()).close();
                return null;
            });
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(20, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] filled(char c) {
        byte[] bytes = new byte[SIZE];
        Arrays.fill(bytes, (byte) c);
        return bytes;
    }

    /** An eventfd that is never signalled, registered for input: any event it gets is stray. */
    private static final class RecordingSource extends Source {
        private final EventLoop loop;
        private final EventFd eventFd;
        private final List<Integer> events;

        private RecordingSource(EventLoop loop, EventFd eventFd, List<Integer> events) {
            super(eventFd.fd(), Interest.READ);
            this.loop = loop;
            this.eventFd = eventFd;
            this.events = events;
        }

        static RecordingSource register(EventLoop loop, List<Integer> events) {
            try {
                RecordingSource source = new RecordingSource(loop, EventFd.open(), events);
                loop.core().registry().add(source);
                return source;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        protected void ready(int readyEvents) {
            events.add(readyEvents);
        }

        @Override
        protected void closeWithLoop() {
            close();
        }

        void close() {
            if (slot >= 0) {
                loop.core().registry().remove(this);
                eventFd.close();
            }
        }
    }
}
