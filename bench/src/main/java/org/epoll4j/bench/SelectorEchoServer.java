// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Echo server on a plain JDK {@link Selector}, one thread, shaped like the C server.
 *
 * <p>Every read lands in one shared direct buffer and is written straight back. Only when
 * the kernel takes less than the whole read is the remainder copied into a buffer attached
 * to the key, and the key switches from {@code OP_READ} to {@code OP_WRITE} until it drains.
 * Serves until SIGTERM.
 */
public final class SelectorEchoServer {

    private static final int READ_BUFFER_SIZE = 64 * 1024;

    private final ByteBuffer buffer = ByteBuffer.allocateDirect(READ_BUFFER_SIZE);
    private final Selector selector;
    private final ServerSocketChannel listener;

    private SelectorEchoServer(Selector selector, ServerSocketChannel listener) {
        this.selector = selector;
        this.listener = listener;
    }

    /** Serves on {@code --host H --port P} until SIGTERM; see {@link ServerOptions}. */
    public static void main(String[] args) throws IOException {
        ServerOptions options = ServerOptions.parse(args).allowOnly("SelectorEchoServer");
        Selector selector = Selector.open();
        ServerSocketChannel listener = ServerSocketChannel.open();
        listener.bind(options.address(), ServerOptions.BACKLOG);
        listener.configureBlocking(false);
        listener.register(selector, SelectionKey.OP_ACCEPT);
        ServerOptions.announce((InetSocketAddress) listener.getLocalAddress());
        new SelectorEchoServer(selector, listener).serve();
    }

    private void serve() throws IOException {
        while (true) {
            selector.select(this::handle);
        }
    }

    private void handle(SelectionKey key) {
        try {
            if (key.isAcceptable()) {
                acceptAll();
            } else if (key.isWritable()) {
                drain(key);
            } else if (key.isReadable()) {
                echo(key);
            }
        } catch (IOException e) {
            close(key); // reset or broken pipe: the peer is gone
        }
    }

    private void acceptAll() throws IOException {
        SocketChannel channel;
        while ((channel = listener.accept()) != null) {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.register(selector, SelectionKey.OP_READ);
        }
    }

    private void echo(SelectionKey key) throws IOException {
        SocketChannel channel = (SocketChannel) key.channel();
        buffer.clear();
        int read = channel.read(buffer);
        if (read < 0) {
            close(key);
            return;
        }
        buffer.flip();
        channel.write(buffer);
        if (buffer.hasRemaining()) {
            ByteBuffer pending = ByteBuffer.allocate(buffer.remaining());
            pending.put(buffer).flip();
            key.attach(pending);
            key.interestOps(SelectionKey.OP_WRITE);
        }
    }

    private void drain(SelectionKey key) throws IOException {
        ByteBuffer pending = (ByteBuffer) key.attachment();
        ((SocketChannel) key.channel()).write(pending);
        if (!pending.hasRemaining()) {
            key.attach(null);
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private static void close(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException e) {
            // closing a socket whose peer already reset it: nothing left to release
        }
    }
}
