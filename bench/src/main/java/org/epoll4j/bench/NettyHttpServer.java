// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/1.1 plaintext server on Netty 4.2's native epoll transport, shaped as Netty's
 * TechEmpower entry is: the peer of {@code target/epoll4j-http-server.jar} in bench/protocols.
 *
 * <p>Each connection's pipeline is an {@link HttpServerCodec} (header validation off, as the
 * TechEmpower entry has it) and one {@link Plaintext} handler: {@code GET /plaintext} answers
 * {@code Hello, World!} with Server, Date, Content-Type and Content-Length; any other request
 * gets 404; a request the codec could not decode gets 400 and the connection closes. Responses
 * go out with {@code ctx.write} and are flushed once per read in {@code channelReadComplete},
 * so the answers to pipelined requests leave in one write. The body is one pre-encoded direct
 * buffer whose duplicates every response sends; buffers come from the pooled direct allocator.
 * The Date value is formatted once a second by a task on one loop and read by all.
 * {@code --threads N} (default 1) sizes the {@link MultiThreadIoEventLoopGroup}, as in
 * {@link NettyEchoServer}. With {@code --tls-cert PEM --tls-key PEM}, HTTPS: an
 * {@link io.netty.handler.ssl.SslHandler} first in each pipeline, with the JDK's provider
 * (the engine epoll4j uses), as the peer of the epoll4j server's {@code --tls-cert}.
 * Serves until SIGTERM.
 */
public final class NettyHttpServer {
    private static final AsciiString SERVER = AsciiString.cached("netty");
    private static final AsciiString TEXT_PLAIN = AsciiString.cached("text/plain");
    private static final AsciiString PLAINTEXT = AsciiString.cached("/plaintext");
    private static final ByteBuf HELLO = Unpooled.unreleasableBuffer(Unpooled.directBuffer(13)
            .writeBytes("Hello, World!".getBytes(StandardCharsets.US_ASCII)));
    private static final AsciiString HELLO_LENGTH = AsciiString.cached(Integer.toString(HELLO.readableBytes()));
    private static final AsciiString ZERO = AsciiString.cached("0");

    private static final DateTimeFormatter IMF_FIXDATE = DateTimeFormatter
            .ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    /** The Date header's value, RFC 9110's IMF-fixdate, renewed every second. */
    private static volatile AsciiString date = now();

    private NettyHttpServer() {}

    /** Serves on {@code --host H --port P [--threads N]} until SIGTERM. */
    public static void main(String[] args) throws InterruptedException, SSLException {
        ServerOptions options = ServerOptions.parse(args).allowOnly("NettyHttpServer", "--threads", "--tls-cert",
                "--tls-key");
        SslContext tls = options.tlsCert() == null ? null
                : SslContextBuilder.forServer(new File(options.tlsCert()), new File(options.tlsKey()))
                        .sslProvider(SslProvider.JDK).build();
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("Netty native epoll is unavailable", Epoll.unavailabilityCause());
        }
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(options.threads(), EpollIoHandler.newFactory());
        loops.next().scheduleAtFixedRate(() -> date = now(), 1000 - System.currentTimeMillis() % 1000, 1000,
                TimeUnit.MILLISECONDS);
        Plaintext plaintext = new Plaintext();
        Channel listener = new ServerBootstrap()
                .group(loops)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, ServerOptions.BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        if (tls != null) {
                            channel.pipeline().addLast(tls.newHandler(channel.alloc()));
                        }
                        channel.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192, false), plaintext);
                    }
                })
                .bind(options.address())
                .sync()
                .channel();
        ServerOptions.announce((InetSocketAddress) listener.localAddress());
        listener.closeFuture().sync();
    }

    private static AsciiString now() {
        return new AsciiString(IMF_FIXDATE.format(Instant.now()));
    }

    /** Answers each request; the codec's content parts (empty for these requests) are released unread. */
    @Sharable
    private static final class Plaintext extends ChannelInboundHandlerAdapter {
        private static final DefaultHttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory()
                .withValidation(false);

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest request) {
                    answer(ctx, request);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private static void answer(ChannelHandlerContext ctx, HttpRequest request) {
            DecoderResult result = request.decoderResult();
            if (!result.isSuccess()) {
                ctx.write(response(HttpResponseStatus.BAD_REQUEST, Unpooled.EMPTY_BUFFER, ZERO))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            FullHttpResponse response = request.method() == HttpMethod.GET && PLAINTEXT.contentEquals(request.uri())
                    ? response(HttpResponseStatus.OK, HELLO.duplicate(), HELLO_LENGTH)
                    : response(HttpResponseStatus.NOT_FOUND, Unpooled.EMPTY_BUFFER, ZERO);
            if (HttpUtil.isKeepAlive(request)) {
                ctx.write(response, ctx.voidPromise());
            } else {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.write(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        private static FullHttpResponse response(HttpResponseStatus status, ByteBuf body, AsciiString length) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body, HEADERS,
                    HEADERS);
            HttpHeaders headers = response.headers();
            headers.set(HttpHeaderNames.SERVER, SERVER);
            headers.set(HttpHeaderNames.DATE, date);
            if (body.isReadable()) {
                headers.set(HttpHeaderNames.CONTENT_TYPE, TEXT_PLAIN);
            }
            headers.set(HttpHeaderNames.CONTENT_LENGTH, length);
            return response;
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a reset peer is routine here
        }
    }
}
