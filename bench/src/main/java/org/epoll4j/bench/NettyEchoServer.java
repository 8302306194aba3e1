package org.epoll4j.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.net.InetSocketAddress;

/**
 * Echo server on Netty 4.2's native epoll transport, one event-loop thread that also accepts.
 *
 * <p>Writes back every buffer it reads and flushes once per read burst
 * ({@code channelReadComplete}), the idiomatic Netty echo. Serves until SIGTERM.
 */
public final class NettyEchoServer {

    private NettyEchoServer() {}

    /** Serves on {@code --host H --port P} until SIGTERM; see {@link ServerOptions}. */
    public static void main(String[] args) throws InterruptedException {
        ServerOptions options = ServerOptions.parse(args);
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("Netty native epoll is unavailable", Epoll.unavailabilityCause());
        }
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Channel listener = new ServerBootstrap()
                .group(loop)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, ServerOptions.BACKLOG)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new Echo())
                .bind(options.address())
                .sync()
                .channel();
        ServerOptions.announce((InetSocketAddress) listener.localAddress());
        listener.closeFuture().sync();
    }

    @Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a reset peer (idle clients end with RST) is routine here
        }
    }
}
