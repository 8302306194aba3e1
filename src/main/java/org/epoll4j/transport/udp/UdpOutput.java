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
import org.epoll4j.loop.Interest;
import org.epoll4j.loop.Loop;

/**
 * The send side of a {@link UdpEndpoint}: datagrams sent and replies, staged in native
 * memory and sent with the turn's others in one sendmmsg(2), at the end of the turn (or of
 * the batch received) and on EPOLLOUT (see {@link UdpChannel}). The batch's slots are a
 * ring: each comes free as its datagram goes, whether the kernel takes the rest or not.
 * While datagrams wait for the kernel, the endpoint receives nothing (see {@link UdpInput}):
 * what it would answer stays in the kernel's receive queue, not lost for want of a slot.
 */
public abstract non-sealed class UdpOutput extends UdpInput {
    private final MessageBatch sending;
    /** The address object last sent to, written once into {@code sending}. */
    private SocketAddress remembered;
    /** The slot of the first datagram staged and not sent yet. */
    private int head;
    /** Datagrams staged and not sent yet: the slots from {@code head} on, around the ring. */
    private int pending;
    private boolean flushAsked;

    /** An endpoint of {@code loop} on the bound socket {@code fd}, its memory from {@code arena}. */
    protected UdpOutput(Loop loop, int fd, Arena arena, int maxDatagramSize, DatagramHandler handler)
            throws ErrnoException {
        super(loop, fd, arena, maxDatagramSize, handler);
        this.sending = new MessageBatch(arena, UdpEndpoint.BATCH, maxDatagramSize);
    }

    /** The longest datagram it holds, received or sent. */
    protected final int maxSize() {
        return sending.slotSize();
    }

    /** See {@link UdpEndpoint#send(ByteBuffer)}. */
    protected final boolean sendToPeer(ByteBuffer src) {
        if (!isConnected()) {
            throw new IllegalStateException("UdpEndpoint is not connected: send(data, to) names the address");
        }
        return sendTo(src, null);
    }

    /** Stages {@code src} for {@code to}, or for the connected peer if null: the two sends' body. */
    protected final boolean sendTo(ByteBuffer src, SocketAddress to) {
        boolean call = loop.beginLoopCall();
        try {
            int slot = stage(src, -1);
            if (slot >= 0) {
                if (to == null) {
                    sending.sendToPeer(slot);
                } else {
                    // After stage: a flush there can run onError, whose sends remember their own.
                    remember(to);
                    sending.sendToRemembered(slot);
                }
                addStaged(src);
            }
            return slot >= 0;
        } finally {
            loop.endLoopCall(call);
        }
    }

    /** Writes {@code to} once for the sends to it; one it refuses leaves none remembered. */
    private void remember(SocketAddress to) {
        if (to != remembered) {
            remembered = null; // the refused address may have been written over the remembered one
            sending.remember(to);
            remembered = to;
        }
    }

    /** See {@link Datagram#reply}: staged as {@link UdpEndpoint#send(ByteBuffer, SocketAddress)}, to the sender. */
    protected final boolean replyToLent(ByteBuffer src) {
        int lent = checkLent();
        int slot = stage(src, lent);
        if (slot >= 0) {
            sending.replyTo(slot, received(), lent);
            addStaged(src);
        }
        return slot >= 0;
    }

    @Override
    protected final void endOfTurn() {
        flushAsked = false;
        flush();
    }

    /**
     * Copies {@code src} into the next free message; its slot, or -1 if closed or none is
     * free. The message counts as staged only once its caller has given it an address and
     * called {@link #addStaged}: a copy or an address that fails leaves nothing to send (else
     * the slot's previous datagram would go again, to its previous address). Its callers
     * have checked the thread (a send's beginLoopCall, a reply's checkLent).
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
        if (pending == UdpEndpoint.BATCH) {
            flush();
            if (pending == UdpEndpoint.BATCH || fd < 0) {
                return -1; // still full, or the handler's onError closed the endpoint
            }
        }
        int slot = (head + pending) % UdpEndpoint.BATCH;
        if (receivedSlot >= 0 && isLentView(receivedSlot, src) && src.position() == 0) {
            sending.copyFrom(slot, received(), receivedSlot, length); // an echo: slot to slot
        } else {
            sending.copyFrom(slot, src);
        }
        sending.setLength(slot, length);
        return slot;
    }

    /** The message {@link #stage} filled from {@code src}, now addressed, is staged; {@code src} is consumed. */
    private void addStaged(ByteBuffer src) {
        pending++;
        src.position(src.limit());
        if (!isDelivering() && !flushAsked) {
            flushAsked = true;
            loop.dispatcher().flushAtEndOfTurn(this);
        }
    }

    @Override
    final boolean hasUnsent() {
        return pending > 0;
    }

    /**
     * Sends what is staged, in order, as far as the kernel takes it: each run of slots up to
     * the ring's end in one sendmmsg. Until all has gone the endpoint waits for EPOLLOUT
     * only: it reads nothing meanwhile.
     */
    @Override
    final void flush() {
        while (pending > 0 && fd >= 0) {
            int sent;
            try {
                sent = loop.io().sockets.send(fd, sending, head, Math.min(pending, UdpEndpoint.BATCH - head));
            } catch (ErrnoException e) {
                sent(1); // that datagram cannot go; the others may
                failed(e);
                continue;
            }
            if (sent == 0) {
                setInterest(Interest.WRITE);
                return;
            }
            sent(sent);
        }
        head = 0; // all gone: the next batch takes the slots from the first, for one sendmmsg
        setInterest(Interest.READ);
    }

    /** The {@code n} datagrams from {@code head} have gone (or failed): their slots are free. */
    private void sent(int n) {
        head = (head + n) % UdpEndpoint.BATCH;
        pending -= n;
    }
}
