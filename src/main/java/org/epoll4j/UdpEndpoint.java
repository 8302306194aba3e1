// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.lang.foreign.Arena;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Set;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.Loop;
import org.epoll4j.transport.udp.UdpChannel;
import org.epoll4j.transport.udp.UdpOutput;

/**
 * A UDP socket on an {@link EventLoop}: datagrams in, each handed to a
 * {@link DatagramHandler} with its sender, and datagrams out, to any address or, once
 * {@link #connect connected}, to one peer. Both ways go in batches: up to
 * {@value #BATCH} datagrams per recvmmsg(2), and the datagrams of a turn in one
 * sendmmsg(2).
 *
 * {@snippet class="org.epoll4j.snippets.UdpSnippets" region="udp-echo"}
 *
 * <p>A client, connected to one peer:
 *
 * {@snippet class="org.epoll4j.snippets.UdpSnippets" region="udp-client"}
 *
 * <p>Notes:
 * <ul>
 * <li>Threading: every method belongs to the loop's thread.
 * <li>Backpressure: up to {@value #BATCH} datagrams wait to be sent, each slot free again
 *     once its datagram has gone. While any waits for a kernel that takes none now, the
 *     endpoint receives nothing, leaving datagrams in the kernel's receive queue: a batch
 *     received can always be answered, one reply per datagram.
 * <li>Sizes: an endpoint holds datagrams of up to its {@link #maxDatagramSize()}; a
 *     longer one received is cut by the kernel and said {@linkplain Datagram#truncated()
 *     truncated}, never passed off as whole; a longer one to send is refused.
 * <li>Allocation: none per datagram once warm, for replies and for datagrams sent again
 *     and again to the same address object; {@link Datagram#sender()} makes an address.
 * <li>A handler's exception goes to the loop's {@link ErrorHandler}, and the endpoint
 *     goes on with the next datagram.
 * </ul>
 */
public final class UdpEndpoint extends UdpOutput {
    /** The longest datagram an endpoint holds unless told otherwise. */
    public static final int DEFAULT_MAX_DATAGRAM_SIZE = 2048;
    /** Datagrams per recvmmsg(2), and per sendmmsg(2) at most. */
    public static final int BATCH = 32;

    private final Datagram datagram = new Datagram(this);

    private UdpEndpoint(Loop loop, int fd, Arena arena, int maxDatagramSize, DatagramHandler handler)
            throws ErrnoException {
        super(loop, fd, arena, maxDatagramSize, handler);
    }

    /** Binds a UDP socket to {@code address} on {@code loop}; see {@link EventLoop#bindUdp}. */
    static UdpEndpoint bind(Loop loop, InetSocketAddress address, int maxDatagramSize, DatagramHandler handler,
                            Set<ListenOption> options) throws ErrnoException {
        return UdpChannel.bind(loop, address, maxDatagramSize, handler, options,
                (fd, arena, size, receiver) -> new UdpEndpoint(loop, fd, arena, size, receiver));
    }

    /**
     * The address the endpoint is bound to. Any thread.
     *
     * @return the address, with the real port when 0 was asked for
     */
    public SocketAddress localAddress() {
        return localAddress;
    }

    /**
     * The longest datagram it holds, received or sent. Any thread.
     *
     * @return the maxDatagramSize it was bound with
     */
    public int maxDatagramSize() {
        return maxSize();
    }

    /**
     * The loop that serves it. Any thread.
     *
     * @return the loop whose thread calls the handler
     */
    public EventLoop loop() {
        return loop.api();
    }

    /**
     * Connects the endpoint to {@code peer} (connect(2)): it then receives from the peer
     * only, and {@link #send(ByteBuffer)} sends there.
     *
     * @param peer the only address to exchange datagrams with
     * @throws IllegalStateException if the endpoint is closed
     * @throws ErrnoException as connect(2), for example EAFNOSUPPORT for an IPv6 peer of an IPv4 endpoint
     */
    public void connect(InetSocketAddress peer) throws ErrnoException {
        connectTo(peer);
    }

    /**
     * Sends {@code src}'s remaining bytes as one datagram to {@code to}, at the end of the
     * loop's turn (with the turn's other datagrams, in one sendmmsg), and consumes them.
     *
     * @param src the bytes to send, copied before this returns
     * @param to the address to send them to
     * @return false if the endpoint is closed, or if {@value #BATCH} datagrams already wait
     *     for a kernel that takes none now; then nothing is taken
     * @throws IllegalArgumentException if the datagram is longer than {@link #maxDatagramSize()}
     */
    public boolean send(ByteBuffer src, SocketAddress to) {
        return sendTo(src, Objects.requireNonNull(to, "to"));
    }

    /**
     * Sends {@code src}'s remaining bytes as one datagram to the connected peer; as
     * {@link #send(ByteBuffer, SocketAddress)}.
     *
     * @param src the bytes to send, copied before this returns
     * @return false if the endpoint is closed, or if {@value #BATCH} datagrams already wait
     *     for a kernel that takes none now; then nothing is taken
     * @throws IllegalStateException if the endpoint is not connected
     * @throws IllegalArgumentException if the datagram is longer than {@link #maxDatagramSize()}
     */
    public boolean send(ByteBuffer src) {
        return sendToPeer(src);
    }

    /**
     * Whether the endpoint is open.
     *
     * @return false once closed, by {@link #close()} or with the loop
     */
    public boolean isOpen() {
        loop.checkInLoop();
        return fd >= 0;
    }

    /** Closes the socket, dropping datagrams not sent yet, and frees its memory. Idempotent. */
    public void close() {
        closeOnLoop();
    }

    @Override
    public String toString() {
        return "UDP endpoint fd=" + fd + " on " + localAddress;
    }

    @Override
    protected UdpEndpoint self() {
        return this;
    }

    @Override
    protected Datagram datagram() {
        return datagram;
    }

    /* What the lent Datagram reads: the channel's, which Datagram cannot call itself. */

    ByteBuffer datagramData() {
        return lentData();
    }

    int datagramLength() {
        return lentLength();
    }

    boolean datagramTruncated() {
        return lentTruncated();
    }

    SocketAddress datagramSender() {
        return lentSender();
    }

    boolean replyToDatagram(ByteBuffer src) {
        return replyToLent(src);
    }

    /** What {@link DatagramHandler#onError} does by default. */
    void reportError(ErrnoException e) {
        report(e);
    }
}
