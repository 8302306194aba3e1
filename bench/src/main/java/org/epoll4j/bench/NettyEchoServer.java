// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLException;

/**
 * Echo server on Netty 4.2's native epoll transport.
 *
 * <p>Writes back every buffer it reads and flushes once per read burst
 * ({@code channelReadComplete}), the idiomatic Netty echo. {@code --threads N} (default 1)
 * sizes its event-loop group (Netty 4.2's {@link MultiThreadIoEventLoopGroup} with the epoll
 * {@link EpollIoHandler}, what {@code EpollEventLoopGroup} was before 4.2): the listener is
 * registered on one of the loops, which also accepts, and accepted connections go round-robin
 * over all of them. {@code --unix PATH} listens on a Unix domain stream socket
 * ({@link EpollServerDomainSocketChannel}); {@code --udp} runs {@link NettyUdpEchoServer}.
 * Serves until SIGTERM.
 */
public final class NettyEchoServer {

    private NettyEchoServer() {}

    /** Serves on {@code --host H --port P [--threads N] | --unix PATH | --udp} until SIGTERM. */
    public static void main(String[] args) throws InterruptedException, SSLException {
        ServerOptions options = ServerOptions.parse(args).allowOnly("NettyEchoServer", "--threads", "--unix", "--udp",
                "--tls-cert", "--tls-key");
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("Netty native epoll is unavailable", Epoll.unavailabilityCause());
        }
        if (options.udp()) {
            NettyUdpEchoServer.serve(options);
            return;
        }
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(options.threads(), EpollIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops)
                .option(ChannelOption.SO_BACKLOG, ServerOptions.BACKLOG)
                .childHandler(handler(options));
        Channel listener;
        if (options.unixPath() != null) {
            listener = bootstrap.channel(EpollServerDomainSocketChannel.class)
                    .bind(new DomainSocketAddress(options.unixPath()))
                    .sync()
                    .channel();
            ServerOptions.announceUnix(options.unixPath());
        } else {
            listener = bootstrap.channel(EpollServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .bind(options.address())
                    .sync()
                    .channel();
            ServerOptions.announce((InetSocketAddress) listener.localAddress());
        }
        listener.closeFuture().sync();
    }

    /** The echo, after an SslHandler (the JDK provider: the engine epoll4j uses) with --tls-cert. */
    private static ChannelHandler handler(ServerOptions options) throws SSLException {
        Echo echo = new Echo();
        if (options.tlsCert() == null) {
            return echo;
        }
        SslContext tls = SslContextBuilder.forServer(new File(options.tlsCert()), new File(options.tlsKey()))
                .sslProvider(SslProvider.JDK).build();
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline().addLast(tls.newHandler(channel.alloc()), echo);
            }
        };
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
