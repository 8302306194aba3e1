// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.snippets;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import org.epoll4j.Datagram;
import org.epoll4j.DatagramHandler;
import org.epoll4j.EventLoop;
import org.epoll4j.UdpEndpoint;
import org.epoll4j.epoll.ErrnoException;

/**
 * The examples in the Javadoc of {@link UdpEndpoint}, {@link Datagram} and
 * {@link DatagramHandler}. Everything here runs on the loop's thread.
 */
final class UdpSnippets {
    private UdpSnippets() {}

    static UdpEndpoint echo(EventLoop loop) throws ErrnoException {
        // @start region="udp-echo"
        UdpEndpoint server = loop.bindUdp(new InetSocketAddress("127.0.0.1", 9000), new DatagramHandler() {
            @Override
            public void onDatagram(UdpEndpoint endpoint, Datagram datagram) {
                if (datagram.truncated()) {
                    return;                                // longer than 2048 bytes: only its start is here
                }
                datagram.reply(datagram.data());           // to its sender, copied; sent at the end of the batch
            }

            @Override
            public void onError(UdpEndpoint endpoint, ErrnoException error) {
                System.err.println(error.getMessage());    // UDP loses datagrams: the endpoint goes on
            }
        });
        // @end
        return server;
    }

    static DatagramHandler lambda() {
        // @start region="udp-lambda"
        DatagramHandler echo = (endpoint, datagram) -> datagram.reply(datagram.data());
        // @end
        return echo;
    }

    static void client(EventLoop loop, byte[] query, List<byte[]> answers) throws ErrnoException {
        // @start region="udp-client"
        UdpEndpoint client = loop.bindUdp(new InetSocketAddress("127.0.0.1", 0), 512, (endpoint, answer) -> {
            ByteBuffer data = answer.data();
            byte[] copy = new byte[data.remaining()];      // the datagram is lent for this call:
            data.get(copy);                                // copy what must outlive it
            answers.add(copy);
        });
        client.connect(new InetSocketAddress("127.0.0.1", 5353)); // now receives from that peer only
        client.send(ByteBuffer.wrap(query));               // copied now, sent at the end of the loop's turn
        // @end
    }
}
