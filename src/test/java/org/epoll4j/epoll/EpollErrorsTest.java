// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.epoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.epoll4j.ffi.Libc;
import org.epoll4j.kernel.EventFd;
import org.junit.jupiter.api.Test;

/** Every way a call can be refused: bad arguments and the kernel's errno. */
class EpollErrorsTest {

    @Test
    void addingTheSameFdTwiceFailsWithEEXIST() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd eventFd = EventFd.open()) {
            epoll.add(eventFd.fd(), Epoll.IN, 1);
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> epoll.add(eventFd.fd(), Epoll.IN, 2));
            assertEquals("EEXIST", e.errnoName());
            assertEquals(Libc.EEXIST(), e.errno());
            assertEquals("epoll_ctl", e.syscall());
            assertEquals("epoll_ctl(ADD, fd=" + eventFd.fd() + "): File exists (EEXIST)", e.getMessage());
        }
    }

    @Test
    void modifyingAnUnregisteredFdFailsWithENOENT() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd eventFd = EventFd.open()) {
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> epoll.modify(eventFd.fd(), Epoll.IN, 1));
            assertEquals("ENOENT", e.errnoName());
            assertEquals("epoll_ctl(MOD, fd=" + eventFd.fd() + "): No such file or directory (ENOENT)",
                    e.getMessage());
        }
    }

    @Test
    void deletingAnUnregisteredFdFailsWithENOENT() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd eventFd = EventFd.open()) {
            ErrnoException e = assertThrows(ErrnoException.class, () -> epoll.delete(eventFd.fd()));
            assertEquals("ENOENT", e.errnoName());
            assertEquals("epoll_ctl(DEL, fd=" + eventFd.fd() + "): No such file or directory (ENOENT)",
                    e.getMessage());
        }
    }

    @Test
    void deletingAnFdTwiceFailsWithENOENT() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd eventFd = EventFd.open()) {
            epoll.add(eventFd.fd(), Epoll.IN, 1);
            epoll.delete(eventFd.fd());
            assertEquals("ENOENT", assertThrows(ErrnoException.class,
                    () -> epoll.delete(eventFd.fd())).errnoName());
        }
    }

    @Test
    void addingAClosedFdFailsWithEBADF() throws Exception {
        try (Epoll epoll = Epoll.open()) {
            // Opened after the Epoll: its number cannot be the epoll fd's (EINVAL).
            int closedFd;
            try (EventFd eventFd = EventFd.open()) {
                closedFd = eventFd.fd();
            }
            assertEquals("EBADF", assertThrows(ErrnoException.class,
                    () -> epoll.add(closedFd, Epoll.IN, 1)).errnoName());
            assertEquals("EBADF", assertThrows(ErrnoException.class,
                    () -> epoll.modify(closedFd, Epoll.IN, 1)).errnoName());
            assertEquals("EBADF", assertThrows(ErrnoException.class,
                    () -> epoll.delete(closedFd)).errnoName());
        }
    }

    @Test
    void addingAnFdThatWasNeverOpenedFailsWithEBADF() throws Exception {
        try (Epoll epoll = Epoll.open()) {
            // Above any RLIMIT_NOFILE: no fd can have this number.
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> epoll.add(Integer.MAX_VALUE, Epoll.IN, 1));
            assertEquals("EBADF", e.errnoName());
            assertEquals(Libc.EBADF(), e.errno());
            assertEquals("epoll_ctl(ADD, fd=2147483647): Bad file descriptor (EBADF)", e.getMessage());
        }
    }

    @Test
    void addingTheEpollFdToItselfFailsWithEINVAL() throws Exception {
        try (Epoll epoll = Epoll.open()) {
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> epoll.add(epoll.fd(), Epoll.IN, 1));
            assertEquals("EINVAL", e.errnoName());
            assertEquals(Libc.EINVAL(), e.errno());
        }
    }

    @Test
    void modifyingWithExclusiveFailsWithEINVAL() throws Exception {
        try (Epoll epoll = Epoll.open(); EventFd eventFd = EventFd.open()) {
            epoll.add(eventFd.fd(), Epoll.IN | Epoll.EXCLUSIVE, 1);
            assertEquals("EINVAL", assertThrows(ErrnoException.class,
                    () -> epoll.modify(eventFd.fd(), Epoll.IN | Epoll.EXCLUSIVE, 2)).errnoName());
        }
    }

    @Test
    void aNegativeFdIsRejectedWithItsValueInTheMessage() throws Exception {
        try (Epoll epoll = Epoll.open()) {
            assertMessageEndsWith("-1", assertThrows(IllegalArgumentException.class,
                    () -> epoll.add(-1, Epoll.IN, 0)));
            assertMessageEndsWith("-7", assertThrows(IllegalArgumentException.class,
                    () -> epoll.modify(-7, Epoll.IN, 0)));
            assertMessageEndsWith(String.valueOf(Integer.MIN_VALUE), assertThrows(IllegalArgumentException.class,
                    () -> epoll.delete(Integer.MIN_VALUE)));
        }
    }

    @Test
    void aCapacityOfZeroOrLessIsRejectedWithItsValueInTheMessage() {
        assertMessageEndsWith("0", assertThrows(IllegalArgumentException.class, () -> EpollEvents.allocate(0)));
        assertMessageEndsWith("-1", assertThrows(IllegalArgumentException.class, () -> EpollEvents.allocate(-1)));
        assertMessageEndsWith(String.valueOf(Integer.MIN_VALUE),
                assertThrows(IllegalArgumentException.class, () -> EpollEvents.allocate(Integer.MIN_VALUE)));
    }

    @Test
    void aCapacityAboveWhatEpollWaitAcceptsIsRejected() {
        assertMessageEndsWith(String.valueOf(Integer.MAX_VALUE),
                assertThrows(IllegalArgumentException.class, () -> EpollEvents.allocate(Integer.MAX_VALUE)));
    }

    @Test
    void aTimeoutBelowMinusOneIsRejectedWithItsValueInTheMessage() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(1)) {
            assertMessageEndsWith("-2", assertThrows(IllegalArgumentException.class, () -> epoll.wait(events, -2)));
            assertMessageEndsWith(String.valueOf(Integer.MIN_VALUE),
                    assertThrows(IllegalArgumentException.class, () -> epoll.wait(events, Integer.MIN_VALUE)));
        }
    }

    @Test
    void aNegativeDurationIsRejected() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(1)) {
            Duration negative = Duration.ofNanos(-1);
            assertMessageEndsWith(negative.toString(), assertThrows(IllegalArgumentException.class,
                    () -> epoll.wait(events, negative)));
            assertThrows(IllegalArgumentException.class, () -> epoll.wait(events, Duration.ofDays(-1)));
        }
    }

    @Test
    void aNullDurationIsRejected() throws Exception {
        try (Epoll epoll = Epoll.open(); EpollEvents events = EpollEvents.allocate(1)) {
            assertThrows(NullPointerException.class, () -> epoll.wait(events, (Duration) null));
        }
    }

    @Test
    void errnoExceptionNamesTheCallTheErrorAndItsSymbol() {
        ErrnoException e = new ErrnoException("epoll_ctl(ADD, fd=7)", Libc.EEXIST());
        assertEquals("epoll_ctl(ADD, fd=7): File exists (EEXIST)", e.getMessage());
        assertEquals("epoll_ctl", e.syscall());
        assertEquals(Libc.EEXIST(), e.errno());
        assertEquals("EEXIST", e.errnoName());
    }

    @Test
    void errnoExceptionForAnUnknownErrnoNamesItsNumber() {
        ErrnoException e = new ErrnoException("frob()", 4095);
        assertEquals("frob", e.syscall());
        assertEquals("errno 4095", e.errnoName());
        assertEquals("frob(): Unknown error 4095 (errno 4095)", e.getMessage());
    }

    /** Argument checks end their message with ": " and the bad value. */
    private static void assertMessageEndsWith(String value, Exception e) {
        assertTrue(e.getMessage().endsWith(": " + value),
                () -> "message does not end with \": " + value + "\": " + e.getMessage());
    }
}
