// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.udp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Set;
import org.epoll4j.Datagram;
import org.epoll4j.DatagramHandler;
import org.epoll4j.ErrorHandler;
import org.epoll4j.EventLoop;
import org.epoll4j.ListenOption;
import org.epoll4j.UdpEndpoint;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.MessageBatch;
import org.epoll4j.kernel.SocketCalls;
import org.epoll4j.loop.Interest;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.LoopEvents;
import org.epoll4j.loop.ReadBuffer;
import org.epoll4j.loop.Source;

/**
 * A UDP socket on a loop: datagrams in, batched with recvmmsg(2) and each lent to the
 * handler as the one {@link Datagram}; datagrams out, staged in native memory and sent
 * with the turn's others in one sendmmsg(2). The API's {@link UdpEndpoint} is its one
 * final subclass.
 */
public abstract class UdpChannel extends Source {
    /* recvmmsg calls per readiness event, so that a flood cannot starve the loop's other sources. */
    private static final int RECEIVES_PER_EVENT = 4;

    protected final Loop loop;
    private final DatagramHandler handler;
    private final Arena arena;
    private final MessageBatch received;
    private final MessageBatch sending;
    private final ReadBuffer[] views = new ReadBuffer[UdpEndpoint.BATCH];
    /** The address the socket is bound to. */
    protected final SocketAddress localAddress;
    private SocketAddress peer;
    /** The address object last sent to, written once into {@code sending}. */
    private SocketAddress remembered;
    /** Datagrams staged in {@code sending}, and the first of them not sent yet. */
    private int staged;
    private int unsent;
    private boolean delivering;
    private boolean flushAsked;
    /* The received message lent as the Datagram (-1 if none), its bytes, and its sender once asked for. */
    private int lent = -1;
    private ByteBuffer lentData;
    private SocketAddress lentSender;

    /** An endpoint of {@code loop} on the bound socket {@code fd}, its memory from {@code arena}. */
    protected UdpChannel(Loop loop, int fd, Arena arena, int maxDatagramSize, DatagramHandler handler)
            throws ErrnoException {
        super(fd, Interest.READ);
        this.loop = loop;
        this.handler = handler;
        this.arena = arena;
        this.received = new MessageBatch(arena, UdpEndpoint.BATCH, maxDatagramSize);
        this.sending = new MessageBatch(arena, UdpEndpoint.BATCH, maxDatagramSize);
        for (int i = 0; i < UdpEndpoint.BATCH; i++) {
            views[i] = new ReadBuffer(received.buffer(i), 16);
        }
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

    /** The longest datagram it holds, received or sent. */
    protected final int maxSize() {
        return sending.slotSize();
    }

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

    /** See {@link UdpEndpoint#send(ByteBuffer)}. */
    protected final boolean sendToPeer(ByteBuffer src) {
        if (peer == null) {
            throw new IllegalStateException("UdpEndpoint is not connected: send(data, to) names the address");
        }
        return sendTo(src, null);
    }

    /** Stages {@code src} for {@code to}, or for the connected peer if null: the two sends' body. */
    protected final boolean sendTo(ByteBuffer src, SocketAddress to) {
        boolean call = loop.beginLoopCall();
        try {
            if (to != null && to != remembered && fd >= 0) {
                sending.remember(to); // first: an address it refuses leaves nothing staged
                remembered = to;
            }
            int slot = stage(src, -1);
            if (slot >= 0) {
                if (to == null) {
                    sending.sendToPeer(slot);
                } else {
                    sending.sendToRemembered(slot);
                }
            }
            return slot >= 0;
        } finally {
            loop.endLoopCall(call);
        }
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
        if (Interest.writable(events) && unsent < staged) {
            flush();
        }
        if (Interest.readable(events) || Interest.failed(events)) {
            receive();
        }
    }

    @Override
    protected final void endOfTurn() {
        flushAsked = false;
        flush();
    }

    private void receive() {
        for (int r = 0; r < RECEIVES_PER_EVENT && fd >= 0; r++) {
            int n;
            try {
                n = loop.io().sockets.receive(fd, received);
            } catch (ErrnoException e) {
                failed(e); // ECONNREFUSED after an ICMP error, and the like
                continue;
            }
            if (n == 0) {
                return;
            }
            deliver(n);
            if (n < UdpEndpoint.BATCH) {
                return;
            }
        }
    }

    /** Hands the {@code n} datagrams received to the handler, then sends what they answered. */
    private void deliver(int n) {
        delivering = true;
        try {
            for (int i = 0; i < n && fd >= 0; i++) {
                ReadBuffer view = views[i];
                lend(i, view.view(Math.min(received.length(i), received.slotSize())));
                LoopEvents.SlowHandler timing = LoopEvents.handlerBegins();
                try {
                    handler.onDatagram(self(), datagram());
                } catch (RuntimeException | Error e) {
                    if (e instanceof VirtualMachineError error) {
                        throw error;
                    }
                    loop.report("onDatagram of " + this, e);
                } finally {
                    takeBack();
                    view.release();
                    LoopEvents.handlerEnds(timing, handler, "onDatagram", this);
                }
            }
        } finally {
            delivering = false;
        }
        flush();
    }

    /** Lends {@link Datagram} as received message {@code index}, its bytes {@code data}. */
    private void lend(int index, ByteBuffer data) {
        lent = index;
        lentData = data;
        lentSender = null;
    }

    private void takeBack() {
        lent = -1;
        lentData = null;
        lentSender = null;
    }

    /** See {@link Datagram#data()}. */
    protected final ByteBuffer lentData() {
        checkLent();
        return lentData;
    }

    /** See {@link Datagram#length()}. */
    protected final int lentLength() {
        checkLent();
        return received.length(lent);
    }

    /** See {@link Datagram#truncated()}. */
    protected final boolean lentTruncated() {
        checkLent();
        return received.truncated(lent);
    }

    /** See {@link Datagram#sender()}: made on the first call. */
    protected final SocketAddress lentSender() {
        checkLent();
        if (lentSender == null) {
            lentSender = received.sender(lent);
        }
        return lentSender;
    }

    /** See {@link Datagram#reply}: staged as {@link UdpEndpoint#send(ByteBuffer, SocketAddress)}, to the sender. */
    protected final boolean replyToLent(ByteBuffer src) {
        checkLent();
        int slot = stage(src, lent);
        if (slot >= 0) {
            sending.replyTo(slot, received, lent);
        }
        return slot >= 0;
    }

    private void checkLent() {
        if (lent < 0) {
            throw new IllegalStateException("a Datagram is lent for onDatagram only");
        }
        loop.checkInLoop();
    }

    /**
     * Copies {@code src} into the next free message; its slot, or -1 if closed or none is
     * free. Its callers have checked the thread (a send's beginLoopCall, a reply's checkLent).
     */
    private int stage(ByteBuffer src, int receivedSlot) {
        if (fd < 0) {
            return -1;
        }
        int length = src.remaining();
        if (length > sending.slotSize()) {
            throw new IllegalArgumentException("a datagram of " + length + " bytes is longer than this endpoint's "
                    + sending.slotSize() + " (EventLoop.bindUdp's maxDatagramSize)");
        }
        if (staged == UdpEndpoint.BATCH) {
            flush();
            if (staged == UdpEndpoint.BATCH || fd < 0) {
                return -1; // still full, or the handler's onError closed the endpoint
            }
        }
        int slot = staged++;
        if (receivedSlot >= 0 && views[receivedSlot].isCurrentView(src) && src.position() == 0) {
            sending.copyFrom(slot, received, receivedSlot, length); // an echo: slot to slot
        } else if (src.hasArray()) {
            sending.copyFrom(slot, src.array(), src.arrayOffset() + src.position(), length);
        } else {
            sending.copyFrom(slot, MemorySegment.ofBuffer(src));
        }
        sending.setLength(slot, length);
        src.position(src.limit());
        if (!delivering && !flushAsked) {
            flushAsked = true;
            loop.dispatcher().flushAtEndOfTurn(this);
        }
        return slot;
    }

    /** Sends what is staged, as far as the kernel takes it; waits for EPOLLOUT for the rest. */
    private void flush() {
        while (unsent < staged && fd >= 0) {
            int sent;
            try {
                sent = loop.io().sockets.send(fd, sending, unsent, staged - unsent);
            } catch (ErrnoException e) {
                unsent++; // that datagram cannot go; the others may
                failed(e);
                continue;
            }
            if (sent == 0) {
                setInterest(Interest.READ | Interest.WRITE);
                return;
            }
            unsent += sent;
        }
        staged = 0;
        unsent = 0;
        setInterest(Interest.READ);
    }

    private void setInterest(int wanted) {
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
    private void failed(ErrnoException e) {
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

    /** This endpoint as the handler sees it. */
    protected abstract UdpEndpoint self();

    /** The datagram this endpoint lends its handler, the same each time. */
    protected abstract Datagram datagram();

    private void checkOpen() {
        loop.checkInLoop();
        if (fd < 0) {
            throw new IllegalStateException("UdpEndpoint is closed");
        }
    }
}
