// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Set;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.MessageBatch;
import org.epoll4j.kernel.SocketCalls;
import org.epoll4j.loop.Interest;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.LoopEvents;
import org.epoll4j.loop.ReadBuffer;
import org.epoll4j.loop.Source;

/**
 * A UDP socket on an {@link EventLoop}: datagrams in, each handed to a
 * {@link DatagramHandler} with its sender, and datagrams out, to any address or, once
 * {@link #connect connected}, to one peer. Both ways go in batches: up to
 * {@value #BATCH} datagrams per recvmmsg(2), and the datagrams of a turn in one
 * sendmmsg(2).
 *
 * {@snippet class="org.epoll4j.snippets.UdpSnippets" region="udp-echo"}
 *
 * <p>A client, connected to one peer:
 *
 * {@snippet class="org.epoll4j.snippets.UdpSnippets" region="udp-client"}
 *
 * <p>Notes:
 * <ul>
 * <li>Threading: every method belongs to the loop's thread.
 * <li>Sizes: an endpoint holds datagrams of up to its {@link #maxDatagramSize()}; a
 *     longer one received is cut by the kernel and said {@linkplain Datagram#truncated()
 *     truncated}, never passed off as whole; a longer one to send is refused.
 * <li>Allocation: none per datagram once warm, for replies and for datagrams sent again
 *     and again to the same address object; {@link Datagram#sender()} makes an address.
 * <li>A handler's exception goes to the loop's {@link ErrorHandler}, and the endpoint
 *     goes on with the next datagram.
 * </ul>
 */
public final class UdpEndpoint extends Source {
    /** The longest datagram an endpoint holds unless told otherwise. */
    public static final int DEFAULT_MAX_DATAGRAM_SIZE = 2048;
    /** Datagrams per recvmmsg(2), and per sendmmsg(2) at most. */
    public static final int BATCH = 32;
    /* recvmmsg calls per readiness event, so that a flood cannot starve the loop's other sources. */
    private static final int RECEIVES_PER_EVENT = 4;

    private final Loop loop;
    private final DatagramHandler handler;
    private final Arena arena;
    private final MessageBatch received;
    private final MessageBatch sending;
    private final ReadBuffer[] views = new ReadBuffer[BATCH];
    private final Datagram datagram = new Datagram(this);
    private final SocketAddress localAddress;
    private SocketAddress peer;
    /** The address object last sent to, written once into {@code sending}. */
    private SocketAddress remembered;
    /** Datagrams staged in {@code sending}, and the first of them not sent yet. */
    private int staged;
    private int unsent;
    private boolean delivering;
    private boolean flushAsked;

    private UdpEndpoint(Loop loop, int fd, Arena arena, int maxDatagramSize, DatagramHandler handler)
            throws ErrnoException {
        super(fd, Interest.READ);
        this.loop = loop;
        this.handler = handler;
        this.arena = arena;
        this.received = new MessageBatch(arena, BATCH, maxDatagramSize);
        this.sending = new MessageBatch(arena, BATCH, maxDatagramSize);
        for (int i = 0; i < BATCH; i++) {
            views[i] = new ReadBuffer(received.buffer(i), 16);
        }
        this.localAddress = loop.io().sockets.localAddress(fd);
    }

    /** Binds a UDP socket to {@code address} on {@code loop}; see {@link EventLoop#bindUdp}. */
    static UdpEndpoint bind(Loop loop, InetSocketAddress address, int maxDatagramSize, DatagramHandler handler,
                            Set<ListenOption> options) throws ErrnoException {
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
            UdpEndpoint endpoint = new UdpEndpoint(loop, fd, arena, maxDatagramSize, handler);
            loop.registry().add(endpoint);
            return endpoint;
        } catch (ErrnoException | RuntimeException | Error e) {
            loop.io().sys.close(fd);
            arena.close();
            throw e;
        }
    }

    /**
     * The address the endpoint is bound to. Any thread.
     *
     * @return the address, with the real port when 0 was asked for
     */
    public SocketAddress localAddress() {
        return localAddress;
    }

    /**
     * The longest datagram it holds, received or sent. Any thread.
     *
     * @return the maxDatagramSize it was bound with
     */
    public int maxDatagramSize() {
        return sending.slotSize();
    }

    /**
     * The loop that serves it. Any thread.
     *
     * @return the loop whose thread calls the handler
     */
    public EventLoop loop() {
        return loop.api();
    }

    /**
     * Connects the endpoint to {@code peer} (connect(2)): it then receives from the peer
     * only, and {@link #send(ByteBuffer)} sends there.
     *
     * @param peer the only address to exchange datagrams with
     * @throws IllegalStateException if the endpoint is closed
     * @throws ErrnoException as connect(2), for example EAFNOSUPPORT for an IPv6 peer of an IPv4 endpoint
     */
    public void connect(InetSocketAddress peer) throws ErrnoException {
        boolean call = loop.beginLoopCall();
        try {
            checkOpen();
            loop.io().sockets.connect(fd, Objects.requireNonNull(peer, "peer"));
            this.peer = peer;
        } finally {
            loop.endLoopCall(call);
        }
    }

    /**
     * Sends {@code src}'s remaining bytes as one datagram to {@code to}, at the end of the
     * loop's turn (with the turn's other datagrams, in one sendmmsg), and consumes them.
     *
     * @param src the bytes to send, copied before this returns
     * @param to the address to send them to
     * @return false if the endpoint is closed, or if {@value #BATCH} datagrams already wait
     *     for a kernel that takes none now; then nothing is taken
     * @throws IllegalArgumentException if the datagram is longer than {@link #maxDatagramSize()}
     */
    public boolean send(ByteBuffer src, SocketAddress to) {
        return sendTo(src, Objects.requireNonNull(to, "to"));
    }

    /**
     * Sends {@code src}'s remaining bytes as one datagram to the connected peer; as
     * {@link #send(ByteBuffer, SocketAddress)}.
     *
     * @param src the bytes to send, copied before this returns
     * @return false if the endpoint is closed, or if {@value #BATCH} datagrams already wait
     *     for a kernel that takes none now; then nothing is taken
     * @throws IllegalStateException if the endpoint is not connected
     * @throws IllegalArgumentException if the datagram is longer than {@link #maxDatagramSize()}
     */
    public boolean send(ByteBuffer src) {
        if (peer == null) {
            throw new IllegalStateException("UdpEndpoint is not connected: send(data, to) names the address");
        }
        return sendTo(src, null);
    }

    /** Stages {@code src} for {@code to}, or for the connected peer if null: the two sends' body. */
    private boolean sendTo(ByteBuffer src, SocketAddress to) {
        boolean call = loop.beginLoopCall();
        try {
            if (to != null && to != remembered && fd >= 0) {
                sending.remember(to); // first: an address it refuses leaves nothing staged
                remembered = to;
            }
            int slot = stage(src);
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

    /**
     * Whether the endpoint is open.
     *
     * @return false once closed, by {@link #close()} or with the loop
     */
    public boolean isOpen() {
        loop.checkInLoop();
        return fd >= 0;
    }

    /** Closes the socket, dropping datagrams not sent yet, and frees its memory. Idempotent. */
    public void close() {
        boolean call = loop.beginLoopCall();
        try {
            closeWithLoop();
        } finally {
            loop.endLoopCall(call);
        }
    }

    @Override
    protected void closeWithLoop() {
        if (fd >= 0) {
            loop.registry().close(this, loop.io().sys);
            arena.close();
        }
    }

    @Override
    protected void ready(int events) {
        if (Interest.writable(events) && unsent < staged) {
            flush();
        }
        if (Interest.readable(events) || Interest.failed(events)) {
            receive();
        }
    }

    @Override
    protected void endOfTurn() {
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
            if (n < BATCH) {
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
                datagram.lend(i, view.view(Math.min(received.length(i), received.slotSize())));
                LoopEvents.SlowHandler timing = LoopEvents.handlerBegins();
                try {
                    handler.onDatagram(this, datagram);
                } catch (RuntimeException | Error e) {
                    if (e instanceof VirtualMachineError error) {
                        throw error;
                    }
                    loop.report("onDatagram of " + this, e);
                } finally {
                    datagram.takeBack();
                    view.release();
                    LoopEvents.handlerEnds(timing, handler, "onDatagram", this);
                }
            }
        } finally {
            delivering = false;
        }
        flush();
    }

    int receivedLength(int i) {
        return received.length(i);
    }

    boolean receivedTruncated(int i) {
        return received.truncated(i);
    }

    SocketAddress receivedSender(int i) {
        return received.sender(i);
    }

    /** Stages a reply to received datagram {@code from}; as {@link #send(ByteBuffer, SocketAddress)}. */
    boolean reply(ByteBuffer src, int from) {
        int slot = stage(src, from);
        if (slot >= 0) {
            sending.replyTo(slot, received, from);
        }
        return slot >= 0;
    }

    private int stage(ByteBuffer src) {
        return stage(src, -1);
    }

    /**
     * Copies {@code src} into the next free message; its slot, or -1 if closed or none is
     * free. Its callers have checked the thread (a send's beginLoopCall, a reply's Datagram).
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
        if (staged == BATCH) {
            flush();
            if (staged == BATCH || fd < 0) {
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
            handler.onError(this, e);
        } catch (RuntimeException | Error thrown) {
            if (thrown instanceof VirtualMachineError error) {
                throw error;
            }
            loop.report("onError of " + this, thrown);
        }
    }

    /** Reports {@code e} to the loop's {@link ErrorHandler}: what {@link DatagramHandler#onError} does by default. */
    void report(ErrnoException e) {
        loop.report("a send or receive of " + this, e);
    }

    @Override
    public String toString() {
        return "UDP endpoint fd=" + fd + " on " + localAddress;
    }

    private void checkOpen() {
        loop.checkInLoop();
        if (fd < 0) {
            throw new IllegalStateException("UdpEndpoint is closed");
        }
    }
}
