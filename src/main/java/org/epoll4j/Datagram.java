// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * A datagram a {@link UdpEndpoint} received, as its handler sees it: lent for the call
 * of {@link DatagramHandler#onDatagram} only, and reused for the next one (which is why
 * none is allocated per datagram).
 *
 * {@snippet class="org.epoll4j.snippets.UdpSnippets" region="udp-echo"}
 *
 * <p>Every method belongs to the loop's thread, and throws {@link IllegalStateException}
 * once the call it was lent for has returned.
 */
public final class Datagram {
    private final UdpEndpoint endpoint;

    Datagram(UdpEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /**
     * The bytes received: position 0, limit and capacity their count (for a truncated
     * datagram, as many as the endpoint's datagrams hold).
     *
     * @return a view of the endpoint's native memory, lent for this call only; the handler
     *     may change its position and limit
     */
    public ByteBuffer data() {
        return endpoint.datagramData();
    }

    /**
     * The datagram's whole length.
     *
     * @return its length as sent, which is more than {@code data()} holds if
     *     {@link #truncated()}
     */
    public int length() {
        return endpoint.datagramLength();
    }

    /**
     * Whether the datagram was longer than the endpoint's datagrams (see
     * {@link EventLoop#bindUdp(java.net.InetSocketAddress, int, DatagramHandler, ListenOption...)}):
     * only its start is in {@code data()}. The kernel cut it; this says so.
     *
     * @return true if {@code data()} holds only the start of the datagram
     */
    public boolean truncated() {
        return endpoint.datagramTruncated();
    }

    /**
     * Who sent it (made on the first call: {@link #reply} needs no address).
     *
     * @return the sender's address, an {@link java.net.InetSocketAddress}
     */
    public SocketAddress sender() {
        return endpoint.datagramSender();
    }

    /**
     * Sends {@code src}'s remaining bytes to the sender, as one datagram, at the end of
     * this batch of datagrams; as {@link UdpEndpoint#send(ByteBuffer, SocketAddress)}.
     *
     * @param src the bytes to send, copied before this returns; may be {@link #data()}
     * @return false if the endpoint is closed, or its datagrams to send are all taken and
     *     the kernel takes none now; then nothing is taken
     * @throws IllegalArgumentException if the datagram is longer than the endpoint's
     *     {@link UdpEndpoint#maxDatagramSize()}
     */
    public boolean reply(ByteBuffer src) {
        return endpoint.replyToDatagram(src);
    }
}
