// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.epoll;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteOrder;
import org.epoll4j.ffi.Libc;
import org.epoll4j.ffi.in_addr;
import org.epoll4j.ffi.sockaddr_in;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Readiness of a loopback TCP socket whose peer is an independent java.net.Socket.
 * Loopback delivery runs in softirq context, so these waits have timeouts rather than
 * zero: each returns as soon as the event arrives.
 */
class EpollSocketTest {
    private static final int LOOPBACK = 0x7F00_0001;
    private static final int PATIENCE_MILLIS = 5_000;

    @Test
    @Timeout(30)
    void aConnectedSocketIsWritableAndBecomesReadableWhenThePeerWrites() throws Exception {
        try (ServerSocket server = listen(); Arena arena = Arena.ofConfined();
             Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4)) {
            int fd = connect(arena, server.getLocalPort());
            try (Socket peer = server.accept(); OutputStream out = peer.getOutputStream()) {
                epoll.add(fd, Epoll.IN | Epoll.OUT, 31);
                assertEquals(Epoll.OUT, awaitEvents(epoll, events, Epoll.OUT) & (Epoll.IN | Epoll.OUT));
                out.write(1);
                out.flush();
                assertEquals(Epoll.IN | Epoll.OUT, awaitEvents(epoll, events, Epoll.IN | Epoll.OUT));
                assertEquals(31, events.data(0));
            } finally {
                Libc.close(fd);
            }
        }
    }

    @Test
    @Timeout(30)
    void thePeerShuttingDownItsOutputReportsRdhup() throws Exception {
        try (ServerSocket server = listen(); Arena arena = Arena.ofConfined();
             Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4)) {
            int fd = connect(arena, server.getLocalPort());
            try (Socket peer = server.accept()) {
                epoll.add(fd, Epoll.IN | Epoll.RDHUP, 32);
                assertEquals(0, epoll.wait(events, 0));
                peer.shutdownOutput();
                int ready = awaitEvents(epoll, events, Epoll.RDHUP);
                assertEquals(Epoll.IN, ready & Epoll.IN, "end of stream is readable; events: " + ready);
                assertEquals(0, ready & Epoll.HUP, "our half is still open; events: " + ready);
            } finally {
                Libc.close(fd);
            }
        }
    }

    @Test
    @Timeout(30)
    void bothHalvesShutDownReportsHangUpWithoutAskingForIt() throws Exception {
        try (ServerSocket server = listen(); Arena arena = Arena.ofConfined();
             Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(4)) {
            int fd = connect(arena, server.getLocalPort());
            try (Socket peer = server.accept()) {
                epoll.add(fd, Epoll.ET, 33); // no events asked for: ERR and HUP only
                peer.shutdownOutput();
                assertEquals(0, Libc.shutdown(fd, Libc.SHUT_WR()));
                awaitEvents(epoll, events, Epoll.HUP);
                assertEquals(33, events.data(0));
            } finally {
                Libc.close(fd);
            }
        }
    }

    private static ServerSocket listen() throws Exception {
        ServerSocket server = new ServerSocket(0, 1, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
        server.setSoTimeout(PATIENCE_MILLIS);
        return server;
    }

    /** A blocking socket connected to 127.0.0.1:port with socket(2) and connect(2). */
    private static int connect(Arena arena, int port) {
        int fd = Libc.socket(Libc.AF_INET(), Libc.SOCK_STREAM() | Libc.SOCK_CLOEXEC(), 0);
        assertTrue(fd >= 0, "socket failed");
        MemorySegment address = sockaddr_in.allocate(arena); // zeroed
        sockaddr_in.sin_family(address, (short) Libc.AF_INET());
        // Port and address in network byte order.
        address.set(JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), sockaddr_in.sin_port$offset(),
                (short) port);
        address.set(JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN),
                sockaddr_in.sin_addr$offset() + in_addr.s_addr$offset(), LOOPBACK);
        if (Libc.connect(fd, address, (int) sockaddr_in.sizeof()) != 0) {
            Libc.close(fd);
            throw new AssertionError("connect to 127.0.0.1:" + port + " failed");
        }
        return fd;
    }

    /** Waits until the one registered fd reports all of {@code expected}; returns its events. */
    private static int awaitEvents(Epoll epoll, EpollEvents events, int expected) throws Exception {
        while (true) {
            if (epoll.wait(events, PATIENCE_MILLIS) == 1 && (events.events(0) & expected) == expected) {
                return events.events(0);
            }
        }
    }
}
