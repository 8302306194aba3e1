// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;

/**
 * TCP echo on Netty's epoll transport, one event-loop thread, answered off the loop: each
 * read is handed to an executor whose thread calls {@code writeAndFlush}, the usual way to
 * keep blocking work off a Netty loop. {@code --executor pool} uses a fixed pool of
 * {@code --workers} threads, {@code --executor virtual} a virtual thread per read.
 *
 * <p>The read's {@code ByteBuf} itself goes to the worker (Netty's buffers outlive the read;
 * the write releases it). A worker's {@code writeAndFlush} is queued as a task on the loop,
 * which wakes the loop when it is waiting. Answers of one connection could leave in another
 * order than their reads if two reads of it were in flight at once; the closed-loop load of the
 * suite never has two (one message per connection until its echo is back) and the load
 * generator checks every byte.
 */
public final class NettyOffLoopEchoServer {

    private NettyOffLoopEchoServer() {}

    /** Serves on {@code --host H --port P --executor pool|virtual [--workers N]} until SIGTERM. */
    public static void main(String[] args) throws InterruptedException {
        ServerOptions options = ServerOptions.parse(args)
                .allowOnly("NettyOffLoopEchoServer", "--executor", "--workers");
        ExecutorService workers = Workers.of(options);
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Channel listener = new ServerBootstrap()
                .group(loop)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, ServerOptions.BACKLOG)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new OffLoopEcho(workers))
                .bind(options.address())
                .sync()
                .channel();
        ServerOptions.announce((InetSocketAddress) listener.localAddress());
        listener.closeFuture().sync();
    }

    @Sharable
    private static final class OffLoopEcho extends ChannelInboundHandlerAdapter {
        private final ExecutorService workers;

        OffLoopEcho(ExecutorService workers) {
            this.workers = workers;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            workers.execute(() -> ctx.writeAndFlush(msg, ctx.voidPromise()));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
