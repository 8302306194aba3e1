// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;

/**
 * UDP echo on Netty 4.2's {@link EpollDatagramChannel}, one event-loop thread: each datagram
 * goes back to its sender, flushed once per read burst.
 *
 * <p>recvmmsg is on: {@link EpollChannelOption#MAX_DATAGRAM_PAYLOAD_SIZE} is set, and the
 * receive allocator hands out buffers of {@link #BATCH} times that size, which Netty slices
 * into {@code BATCH} datagrams for one {@code recvmmsg} call (with a buffer of one payload or
 * less it falls back to {@code recvmsg}). Up to {@code BATCH} datagrams are read per wake-up,
 * like the C server's batches. A flush of several datagrams goes out with {@code sendmmsg}
 * (Netty's default). Datagrams above {@link #MAX_PAYLOAD} bytes would be cut: the suite
 * sends at most 1,200.
 */
final class NettyUdpEchoServer {

    /** Largest datagram echoed whole. */
    static final int MAX_PAYLOAD = 2048;

    /** Datagrams per recvmmsg, as in the C server. */
    static final int BATCH = 32;

    private NettyUdpEchoServer() {}

    static void serve(ServerOptions options) throws InterruptedException {
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Channel channel = new Bootstrap()
                .group(loop)
                .channel(EpollDatagramChannel.class)
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_PAYLOAD)
                .option(ChannelOption.RECVBUF_ALLOCATOR,
                        new FixedRecvByteBufAllocator(MAX_PAYLOAD * BATCH).maxMessagesPerRead(BATCH))
                .handler(new Echo())
                .bind(options.address())
                .sync()
                .channel();
        ServerOptions.announceUdp((InetSocketAddress) channel.localAddress());
        channel.closeFuture().sync();
    }

    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket packet = (DatagramPacket) msg;
            ctx.write(new DatagramPacket(packet.content(), packet.sender()), ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // an ICMP error for a client gone: the channel goes on serving the others
        }
    }
}
