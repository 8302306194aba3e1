// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.jcstress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.EventLoop;
import org.epoll4j.Server;
import org.epoll4j.epoll.ErrnoException;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLL_Result;

/**
 * A connection's inbox (writes from a thread that is not the loop's) against the loop's
 * thread draining it in a turn and then closing the connection; through the API only.
 *
 * <p>Each state has a loop with one accepted Unix domain connection, whose peer is a
 * {@link SocketChannel}. One actor writes "a" then "b" from its own thread. The other runs
 * the loop for one turn (a task queued as the state was made stops it), which applies what
 * other threads asked of the connection, and then, as the loop's thread, closes the
 * connection: its close applies what the inbox still holds before it closes output. The
 * arbiter reads what the peer got, up to its end of stream.
 */
@JCStressTest
@Description("Connection.write from another thread races the loop's thread draining the connection's inbox in "
        + "a turn, then closing the connection. A write that returned true is delivered, in order, before the "
        + "end of stream; one that returned false is not; and once a write is refused, later ones are too.")
@Outcome(id = "true, true, ab", expect = Expect.ACCEPTABLE, desc = "Both writes came before the close: both delivered.")
@Outcome(id = "true, false, a", expect = Expect.ACCEPTABLE_INTERESTING,
        desc = "The close came between the writes: the first delivered, the second refused.")
@Outcome(id = "false, false, ", expect = Expect.ACCEPTABLE, desc = "The close came first: both refused.")
@Outcome(expect = Expect.FORBIDDEN,
        desc = "A write that returned true was lost or reordered, a refused one was delivered, or no end of stream.")
@State
public class ForeignWriteVersusLoop {
    private static final Path DIRECTORY = temporaryDirectory();
    private static final AtomicLong SOCKETS = new AtomicLong();

    private final EventLoop loop;
    private final Connection connection;
    private final SocketChannel peer;
    /* Written by the writing actor, read by the arbiter. */
    private boolean first;
    private boolean second;

    public ForeignWriteVersusLoop() {
        try {
            loop = EventLoop.open();
            Path path = DIRECTORY.resolve("s" + SOCKETS.incrementAndGet());
            Connection[] accepted = new Connection[1];
            Server server = loop.listen(UnixDomainSocketAddress.of(path), new ConnectionHandler() {
                @Override
                public void onOpen(Connection connection) {
                    accepted[0] = connection;
                }

                @Override
                public void onData(Connection connection, ByteBuffer data) {
                    // The peer sends nothing.
                }
            });
            peer = SocketChannel.open(StandardProtocolFamily.UNIX);
            peer.connect(UnixDomainSocketAddress.of(path));
            while (accepted[0] == null) {
                loop.execute(loop::stop);
                loop.run();
            }
            server.close(); // removes the socket's file
            connection = accepted[0];
            loop.execute(loop::stop); // for the turn of the loop's actor
        } catch (ErrnoException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Actor
    public void write() {
        first = connection.write(ByteBuffer.wrap(new byte[] {'a'}));
        second = connection.write(ByteBuffer.wrap(new byte[] {'b'}));
    }

    @Actor
    public void loop() {
        loop.run(); // one turn: it drains the inboxes, then the task stops it
        connection.close(); // as the loop's thread now: at once, after what the inbox holds
    }

    @Arbiter
    public void arbiter(LLL_Result r) {
        r.r1 = first;
        r.r2 = second;
        r.r3 = readToEnd();
        try {
            peer.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        loop.close();
    }

    /** What the peer got before its end of stream; "NO_END_OF_STREAM" if none comes within 10 s. */
    private String readToEnd() {
        try {
            peer.configureBlocking(false);
            ByteBuffer buffer = ByteBuffer.allocate(16);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (peer.read(buffer) >= 0) {
                if (System.nanoTime() - deadline > 0) {
                    return "NO_END_OF_STREAM";
                }
                Thread.onSpinWait();
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static Path temporaryDirectory() {
        try {
            Path directory = Files.createTempDirectory("epoll4j-jcstress");
            directory.toFile().deleteOnExit();
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
