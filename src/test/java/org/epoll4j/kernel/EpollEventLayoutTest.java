// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.testing.OpenFds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The layout of struct epoll_event chosen by os.arch from the generated bindings, and the
 * round trip through the kernel that must pass before any epoll set is created.
 */
class EpollEventLayoutTest {
    private static final String OS_ARCH = System.getProperty("os.arch");
    private static final List<String> ARCHS = List.of("x86_64", "aarch64", "riscv64");

    @Test
    @Timeout(10)
    void eachArchitecturesBindingsLayTheStructOutAsItsAbiDoes() {
        // Written out independently of jextract: x86_64 packs the struct, the others align data to 8.
        assertAll(
                () -> assertLayout("x86_64", 12, 0, 4, new ArchLayout("amd64")),
                () -> assertLayout("x86_64", 12, 0, 4, new ArchLayout("x86_64")),
                () -> assertLayout("aarch64", 16, 0, 8, new ArchLayout("aarch64")),
                () -> assertLayout("riscv64", 16, 0, 8, new ArchLayout("riscv64")));
    }

    @Test
    @Timeout(10)
    void theRunningArchitecturesLayoutIsTheOneInUse() {
        ArchLayout running = new ArchLayout(OS_ARCH);
        assertTrue(running.supported, "no bindings for os.arch " + OS_ARCH);
        assertEquals(running.size, EpollEventLayout.SIZE);
        assertEquals(running.eventsOffset, EpollEventLayout.EVENTS_OFFSET);
        assertEquals(running.dataOffset, EpollEventLayout.DATA_OFFSET);
    }

    @Test
    @Timeout(10)
    void anArchitectureWithoutBindingsIsRefusedByNameBeforeAnyFdIsOpened() {
        long fds = OpenFds.count();
        UnsupportedOperationException refused =
                assertThrows(UnsupportedOperationException.class, () -> new ArchLayout("s390x").verify());
        assertEquals("epoll4j has no bindings for this architecture, os.arch s390x: "
                + "it has them for x86_64 (amd64), aarch64 and riscv64", refused.getMessage());
        assertEquals(fds, OpenFds.count(), "fds opened for an architecture without bindings");
    }

    @Test
    @Timeout(30)
    void theKernelWritesTheStructWhereTheRunningArchitecturesBindingsSay() throws Exception {
        ArchLayout running = new ArchLayout(OS_ARCH);
        assertNull(EpollEventCheck.mismatch(running));
        running.verify();
        EpollEventLayout.verify();
    }

    @Test
    @Timeout(30)
    void theCheckRejectsAnotherArchitecturesLayoutAndTheKernelWritesOnlyInsideItsBuffer() throws Exception {
        ArchLayout running = new ArchLayout(OS_ARCH);
        int rejected = 0;
        for (String arch : ARCHS) {
            ArchLayout other = new ArchLayout(arch);
            if (other.size == running.size && other.dataOffset == running.dataOffset) {
                continue; // aarch64 and riscv64 share one layout
            }
            rejected++;
            try (Arena arena = Arena.ofConfined()) {
                long guard = 64;
                MemorySegment whole = arena.allocate(guard + EpollEventCheck.BUFFER_SIZE + guard, Long.BYTES);
                whole.fill((byte) 0x5A);
                String found = EpollEventCheck.mismatch(other, whole.asSlice(guard, EpollEventCheck.BUFFER_SIZE));
                assertNotNull(found, arch + "'s layout passed the check on os.arch " + OS_ARCH);
                assertTrue(found.contains("0x0123456789abcdef"), found);
                assertUntouched(whole.asSlice(0, guard), arch + ": the guard before the buffer");
                assertUntouched(whole.asSlice(guard + EpollEventCheck.BUFFER_SIZE), arch + ": the guard after it");
            }
            UnsupportedOperationException refused = assertThrows(UnsupportedOperationException.class, other::verify);
            assertTrue(refused.getMessage().startsWith("the kernel does not write struct epoll_event as epoll4j's "
                    + arch + " bindings (" + other.size + " bytes, events at 0, data at " + other.dataOffset
                    + ") say, on os.arch " + arch + ": epoll_wait reported 2 of 2 ready eventfds"),
                    refused.getMessage());
        }
        assertTrue(rejected > 0, "no other layout to check against");
    }

    @Test
    @Timeout(60)
    void aRoundTripThatFailsForWantOfFdsIsTriedAgainAndOncePassedNeedsNoFd() throws Exception {
        long limit = openFilesLimit();
        assumeTrue(limit <= 100_000, "the fd limit " + limit + " is too high to run out of fds here");
        ArchLayout running = new ArchLayout(OS_ARCH);
        new ArchLayout(OS_ARCH).verify(); // loads every class the check needs while fds are at hand
        List<FileChannel> hogs = new ArrayList<>();
        try {
            exhaustFds(hogs);
            ErrnoException outOfFds = assertThrows(ErrnoException.class, running::verify);
            assertEquals("EMFILE", outOfFds.errnoName());
            closeAll(hogs);
            running.verify();

            exhaustFds(hogs);
            running.verify(); // verified already: no fd needed
        } finally {
            closeAll(hogs);
        }
    }

    private static void assertLayout(String arch, long size, long eventsOffset, long dataOffset, ArchLayout layout) {
        assertTrue(layout.supported, arch);
        assertEquals(arch, layout.arch);
        assertEquals(List.of(size, eventsOffset, dataOffset),
                List.of(layout.size, layout.eventsOffset, layout.dataOffset), arch + ": size, events, data");
    }

    private static void assertUntouched(MemorySegment guard, String what) {
        for (long i = 0; i < guard.byteSize(); i++) {
            assertEquals((byte) 0x5A, guard.get(JAVA_BYTE, i), what + ", byte " + i);
        }
    }

    private static long openFilesLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                return Long.parseLong(line.substring("Max open files".length()).trim().split("\\s+")[0]);
            }
        }
        throw new AssertionError("no 'Max open files' in /proc/self/limits");
    }

    private static void exhaustFds(List<FileChannel> hogs) {
        Path devNull = Path.of("/dev/null");
        while (true) {
            try {
                hogs.add(FileChannel.open(devNull));
            } catch (IOException e) {
                assertFalse(hogs.isEmpty(), "no fd could be opened at all: " + e);
                return; // Too many open files
            }
        }
    }

    private static void closeAll(List<FileChannel> hogs) throws IOException {
        for (FileChannel hog : hogs) {
            hog.close();
        }
        hogs.clear();
    }
}
