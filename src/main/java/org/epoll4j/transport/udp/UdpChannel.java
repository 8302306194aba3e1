// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.udp;

import java.lang.foreign.Arena;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.Set;
import org.epoll4j.Datagram;
import org.epoll4j.DatagramHandler;
import org.epoll4j.ErrorHandler;
import org.epoll4j.EventLoop;
import org.epoll4j.ListenOption;
import org.epoll4j.UdpEndpoint;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.ffi.Libc;
import org.epoll4j.kernel.SocketCalls;
import org.epoll4j.loop.Interest;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.Source;

/**
 * A UDP socket on a loop: its binding, connect and close, what its readiness does, and
 * its errors. An endpoint is layers of one object, each owning its fields and reaching the
 * others through methods: this one, its receive side ({@link UdpInput}: recvmmsg(2)
 * batches, each datagram lent to the handler as the one {@link Datagram}), its send side
 * ({@link UdpOutput}: datagrams staged in native memory and sent with the turn's others in
 * one sendmmsg(2)), and the API's {@link UdpEndpoint}, their one final subclass.
 */
public abstract sealed class UdpChannel extends Source permits UdpInput {
    protected final Loop loop;
    final DatagramHandler handler;
    private final Arena arena;
    /** The address the socket is bound to. */
    protected final SocketAddress localAddress;
    private SocketAddress peer;

    UdpChannel(Loop loop, int fd, Arena arena, DatagramHandler handler) throws ErrnoException {
        super(fd, Interest.READ);
        this.loop = loop;
        this.handler = handler;
        this.arena = arena;
        this.localAddress = loop.io().sockets.localAddress(fd);
    }

    /**
     * Binds a UDP socket to {@code address} on {@code loop}, and registers the endpoint
     * {@code endpoints} makes of it; see {@link EventLoop#bindUdp}.
     */
    public static <E extends UdpChannel> E bind(Loop loop, InetSocketAddress address, int maxDatagramSize,
                                                DatagramHandler handler, Set<ListenOption> options,
                                                EndpointFactory<E> endpoints) throws ErrnoException {
        loop.checkCanAdd();
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(handler, "handler");
        if (maxDatagramSize < 1 || maxDatagramSize > 65_535) {
            throw new IllegalArgumentException("maxDatagramSize must be 1 to 65535: " + maxDatagramSize);
        }
        SocketCalls sockets = loop.io().sockets;
        int fd = sockets.datagramSocket(address);
        Arena arena = Arena.ofShared();
        try {
            if (options.contains(ListenOption.REUSE_PORT)) {
                sockets.setReusePort(fd); // several endpoints on one port: the kernel spreads senders among them
            }
            sockets.bind(fd, address);
            E endpoint = endpoints.open(fd, arena, maxDatagramSize, handler);
            loop.registry().add(endpoint);
            return endpoint;
        } catch (ErrnoException | RuntimeException | Error e) {
            loop.io().sys.close(fd);
            arena.close();
            throw e;
        }
    }

    /**
     * The first of a group's endpoints on a port it shares with its own only: checks that no
     * socket is bound to {@code address}'s port, and returns the address with the port that
     * the kernel picks for port 0. A socket with SO_REUSEPORT joins any of the port's that
     * set it too (and have the same user): so a socket without it binds the port first,
     * which fails with EADDRINUSE if any socket has it. It must let go before the endpoint
     * binds (UDP lets a socket with SO_REUSEPORT bind beside one without it only if both set
     * SO_REUSEADDR, which would let anyone in): another bind could take the port in between
     * (a group checking the same port at the same instant, or, for port 0, a bind that the
     * kernel gives the same free port; the caller then finds another).
     */
    public static InetSocketAddress freePort(Loop loop, InetSocketAddress address) throws ErrnoException {
        loop.checkCanAdd();
        SocketCalls sockets = loop.io().sockets;
        int probe = sockets.datagramSocket(address);
        try {
            try {
                sockets.bind(probe, address);
            } catch (ErrnoException e) {
                if (e.errno() == Libc.EADDRINUSE()) {
                    throw new ErrnoException("bind(fd=" + probe + ", " + address + "): another socket is bound to the"
                            + " port; ListenOption.REUSE_PORT shares it with the endpoints that ask to", e.errno());
                }
                throw e;
            }
            return (InetSocketAddress) sockets.localAddress(probe);
        } finally {
            loop.io().sys.close(probe);
        }
    }

    /** This endpoint as the handler sees it. */
    protected abstract UdpEndpoint self();

    /** Receives what the socket holds, a few batches at most, and hands it to the handler. */
    abstract void receive();

    /** Whether staged datagrams wait for the kernel to take them. */
    abstract boolean hasUnsent();

    /** Sends what is staged, as far as the kernel takes it; waits for EPOLLOUT for the rest. */
    abstract void flush();

    /** See {@link UdpEndpoint#connect}. */
    protected final void connectTo(InetSocketAddress peer) throws ErrnoException {
        boolean call = loop.beginLoopCall();
        try {
            checkOpen();
            loop.io().sockets.connect(fd, Objects.requireNonNull(peer, "peer"));
            this.peer = peer;
        } finally {
            loop.endLoopCall(call);
        }
    }

    /** Whether it is connected to a peer, which {@link UdpEndpoint#send(java.nio.ByteBuffer)} sends to. */
    final boolean isConnected() {
        return peer != null;
    }

    /** See {@link UdpEndpoint#close}. */
    protected final void closeOnLoop() {
        boolean call = loop.beginLoopCall();
        try {
            closeWithLoop();
        } finally {
            loop.endLoopCall(call);
        }
    }

    @Override
    protected final void closeWithLoop() {
        if (fd >= 0) {
            loop.registry().close(this, loop.io().sys);
            arena.close();
        }
    }

    @Override
    protected final void ready(int events) {
        if (Interest.writable(events) && hasUnsent()) {
            flush();
        }
        if (Interest.readable(events) || Interest.failed(events)) {
            receive();
        }
    }

    /** Registers the fd for {@code wanted} ({@link Interest} flags), unless it is already, or closed. */
    final void setInterest(int wanted) {
        if (wanted == interest || fd < 0) {
            return;
        }
        try {
            loop.registry().modify(this, wanted);
        } catch (ErrnoException e) {
            failed(e);
        }
    }

    /** Tells the handler that a call failed; what its onError throws is reported, and the endpoint goes on. */
    final void failed(ErrnoException e) {
        try {
            handler.onError(self(), e);
        } catch (RuntimeException | Error thrown) {
            if (thrown instanceof VirtualMachineError error) {
                throw error;
            }
            loop.report("onError of " + this, thrown);
        }
    }

    /** Reports {@code e} to the loop's {@link ErrorHandler}: what {@link DatagramHandler#onError} does by default. */
    protected final void report(ErrnoException e) {
        loop.report("a send or receive of " + this, e);
    }

    private void checkOpen() {
        loop.checkInLoop();
        if (fd < 0) {
            throw new IllegalStateException("UdpEndpoint is closed");
        }
    }
}
