// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.udp;

import java.lang.foreign.Arena;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import org.epoll4j.Datagram;
import org.epoll4j.DatagramHandler;
import org.epoll4j.UdpEndpoint;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.kernel.MessageBatch;
import org.epoll4j.loop.Loop;
import org.epoll4j.loop.LoopEvents;
import org.epoll4j.loop.ReadBuffer;

/**
 * The receive side of a {@link UdpEndpoint}: datagrams in, batched with recvmmsg(2), and
 * each lent to the handler as the one {@link Datagram} for its call of onDatagram (see
 * {@link UdpChannel}). It receives only while no datagram waits for the kernel to send
 * it: each batch received can then be answered, a reply per datagram, from the free
 * slots; and while the kernel takes no more, datagrams wait in its receive queue
 * (backpressure) instead of being read and their replies refused.
 */
abstract sealed class UdpInput extends UdpChannel permits UdpOutput {
    /* recvmmsg calls per readiness event, so that a flood cannot starve the loop's other sources. */
    private static final int RECEIVES_PER_EVENT = 4;

    private final MessageBatch received;
    private final ReadBuffer[] views = new ReadBuffer[UdpEndpoint.BATCH];
    /** Datagrams are being handed to the handler: what it sends goes out after the batch. */
    private boolean delivering;
    /* The received message lent as the Datagram (-1 if none), its bytes, and its sender once asked for. */
    private int lent = -1;
    private ByteBuffer lentData;
    private SocketAddress lentSender;

    UdpInput(Loop loop, int fd, Arena arena, int maxDatagramSize, DatagramHandler handler) throws ErrnoException {
        super(loop, fd, arena, handler);
        this.received = new MessageBatch(arena, UdpEndpoint.BATCH, maxDatagramSize);
        for (int i = 0; i < UdpEndpoint.BATCH; i++) {
            views[i] = new ReadBuffer(received.buffer(i), 16);
        }
    }

    /** The datagram this endpoint lends its handler, the same each time. */
    protected abstract Datagram datagram();

    @Override
    final void receive() {
        for (int r = 0; r < RECEIVES_PER_EVENT && fd >= 0; r++) {
            if (hasUnsent()) {
                flush(); // this turn's sends so far, with the replies to come after them
                if (fd < 0) {
                    return; // a failed send's onError closed the endpoint
                }
                if (hasUnsent()) {
                    clearError(); // EPOLLERR while not reading would be reported on every wait
                    return; // the kernel takes no more: what it received waits in its queue
                }
            }
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

    /** Takes the socket's pending error (an ICMP error of a connected endpoint's peer), if any, to the handler. */
    private void clearError() {
        int errno;
        try {
            errno = loop.io().sockets.takeError(fd);
        } catch (ErrnoException e) {
            errno = e.errno();
        }
        if (errno != 0) {
            failed(new ErrnoException("getsockopt(fd=" + fd + ", SO_ERROR)", errno));
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
        return received.length(checkLent());
    }

    /** See {@link Datagram#truncated()}. */
    protected final boolean lentTruncated() {
        return received.truncated(checkLent());
    }

    /** See {@link Datagram#sender()}: made on the first call. */
    protected final SocketAddress lentSender() {
        int index = checkLent();
        if (lentSender == null) {
            lentSender = received.sender(index);
        }
        return lentSender;
    }

    /** Checks that a {@link Datagram} is lent, on the loop's thread; returns the received message it is. */
    final int checkLent() {
        if (lent < 0) {
            throw new IllegalStateException("a Datagram is lent for onDatagram only");
        }
        loop.checkInLoop();
        return lent;
    }

    /** Whether {@code src} is the view of received message {@code index} lent to the handler under way. */
    final boolean isLentView(int index, ByteBuffer src) {
        return views[index].isCurrentView(src);
    }

    /**
     * The batch recvmmsg fills, which a reply copies from and answers. A plain getter, so
     * that the JIT inlines it however deep under the handler the reply is.
     */
    final MessageBatch received() {
        return received;
    }

    /** Whether datagrams are being handed to the handler (a plain getter, as {@link #received()}). */
    final boolean isDelivering() {
        return delivering;
    }
}
