// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * A datagram a {@link UdpEndpoint} received, as its handler sees it: lent for the call
 * of {@link DatagramHandler#onDatagram} only, and reused for the next one (which is why
 * none is allocated per datagram).
 *
 * {@snippet :
 * public void onDatagram(UdpEndpoint endpoint, Datagram datagram) {
 *     if (datagram.truncated()) {
 *         return;                          // longer than the endpoint's datagrams: cut
 *     }
 *     datagram.reply(datagram.data());     // to its sender, no address made
 * }
 * }
 */
public final class Datagram {
    private final UdpEndpoint endpoint;
    private int index = -1;
    private ByteBuffer data;
    private SocketAddress sender;

    Datagram(UdpEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /** Lends this datagram as received message {@code index}, its bytes {@code data}. */
    void lend(int index, ByteBuffer data) {
        this.index = index;
        this.data = data;
        this.sender = null;
    }

    void takeBack() {
        index = -1;
        data = null;
        sender = null;
    }

    /**
     * The bytes received: position 0, limit and capacity their count (for a truncated
     * datagram, as many as the endpoint's datagrams hold).
     */
    public ByteBuffer data() {
        checkLent();
        return data;
    }

    /** The datagram's whole length, which is more than {@code data()} holds if {@link #truncated()}. */
    public int length() {
        checkLent();
        return endpoint.receivedLength(index);
    }

    /**
     * Whether the datagram was longer than the endpoint's datagrams (see
     * {@link EventLoop#bindUdp(java.net.InetSocketAddress, int, DatagramHandler)}): only its
     * start is in {@code data()}. The kernel cut it; this says so.
     */
    public boolean truncated() {
        checkLent();
        return endpoint.receivedTruncated(index);
    }

    /** Who sent it (made on the first call: {@link #reply} needs no address). */
    public SocketAddress sender() {
        checkLent();
        if (sender == null) {
            sender = endpoint.receivedSender(index);
        }
        return sender;
    }

    /**
     * Sends {@code src}'s remaining bytes to the sender, as one datagram, at the end of
     * this batch of datagrams; as {@link UdpEndpoint#send(ByteBuffer, SocketAddress)}.
     */
    public boolean reply(ByteBuffer src) {
        checkLent();
        return endpoint.reply(src, index);
    }

    private void checkLent() {
        if (index < 0) {
            throw new IllegalStateException("a Datagram is lent for onDatagram only");
        }
        endpoint.loop().checkInLoop();
    }
}
