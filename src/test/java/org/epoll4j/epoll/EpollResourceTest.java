// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.epoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.epoll4j.kernel.EventFd;
import org.epoll4j.testing.OpenFds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every fd the library opens is closed by close(), and none leaks into child processes. */
class EpollResourceTest {
    private static final int CYCLES = 10_000;
    /* The open-file-status flag that /proc/self/fdinfo prints in octal. */
    private static final int O_CLOEXEC_OCTAL = 02000000;

    @Test
    @Timeout(120)
    void openingAndClosingEpollLeaksNoFd() throws Exception {
        try (Epoll warmUp = Epoll.open()) {
            warmUp.fd();
        }
        long before = OpenFds.count();
        for (int i = 0; i < CYCLES; i++) {
            try (Epoll epoll = Epoll.open()) {
                epoll.fd();
            }
        }
        assertEquals(before, OpenFds.count());
    }

    @Test
    @Timeout(120)
    void anEpollWithRegisteredFdsLeaksNothingWhenClosed() throws Exception {
        try (EventFd eventFd = EventFd.open(); EpollEvents events = EpollEvents.allocate(1)) {
            long before = OpenFds.count();
            for (int i = 0; i < CYCLES; i++) {
                try (Epoll epoll = Epoll.open()) {
                    epoll.add(eventFd.fd(), Epoll.IN, i);
                    epoll.wait(events, 0);
                }
            }
            assertEquals(before, OpenFds.count());
            eventFd.signal(); // registered fds stay open when their Epoll closes
            assertEquals(1, eventFd.drain());
        }
    }

    @Test
    @Timeout(120)
    void allocatingAndClosingEpollEventsLeaksNoFd() {
        EpollEvents.allocate(1).close();
        long before = OpenFds.count();
        for (int i = 0; i < CYCLES; i++) {
            try (EpollEvents events = EpollEvents.allocate(64)) {
                events.capacity();
            }
        }
        assertEquals(before, OpenFds.count());
    }

    @Test
    @Timeout(120)
    void openingAndClosingEventFdLeaksNoFd() throws Exception {
        EventFd.open().close();
        long before = OpenFds.count();
        for (int i = 0; i < CYCLES; i++) {
            try (EventFd eventFd = EventFd.open()) {
                eventFd.signal();
            }
        }
        assertEquals(before, OpenFds.count());
    }

    @Test
    void theEpollFdIsCloseOnExec() throws Exception {
        try (Epoll epoll = Epoll.open()) {
            assertNotEquals(0, flags(epoll.fd()) & O_CLOEXEC_OCTAL, "flags of the epoll fd");
        }
    }

    @Test
    void theEventFdIsCloseOnExec() throws Exception {
        try (EventFd eventFd = EventFd.open()) {
            assertNotEquals(0, flags(eventFd.fd()) & O_CLOEXEC_OCTAL, "flags of the eventfd");
        }
    }

    /** The "flags:" line of /proc/self/fdinfo/fd (octal). */
    private static int flags(int fd) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
            if (line.startsWith("flags:")) {
                return Integer.parseInt(line.substring("flags:".length()).trim(), 8);
            }
        }
        throw new AssertionError("no flags in /proc/self/fdinfo/" + fd);
    }
}
