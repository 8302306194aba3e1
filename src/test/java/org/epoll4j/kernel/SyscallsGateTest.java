// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandles;
import java.util.Set;
import java.util.TreeSet;
import org.epoll4j.EventLoop;
import org.epoll4j.testing.PublicEntries;
import org.junit.jupiter.api.Test;

/**
 * The kernel package's raw calls can close any fd and free any memory: on the class
 * path, where its public classes are reachable, only the library's own classes may
 * open them, and nothing else public in the package takes a raw fd or raw memory.
 */
class SyscallsGateTest {
    /** Every public static method and constructor of the package, each checked harmless. */
    private static final Set<String> HARMLESS = Set.of(
            "Errno.name(int)", "Errno.description(int)",
            "EpollEventLayout.verify()", // a round trip through an epoll set, fds and memory of its own
            "EventFd.open()", // owns the eventfd it makes
            "IoVec(Arena,int)", // entries only point into segments, within their bounds
            "MessageBatch(Arena,int,int)", // its headers point only into memory it allocated
            "Sockaddr.unpackIPv4(long)",
            "Syscalls.open(Lookup,Arena)", // the gate itself
            "Syscalls.checkCaller(Lookup)", // the gate's check, for the loop's own gate
            "Syscalls.hasPreciseWait()",
            "SocketCalls.isUnix(SocketAddress)", "SocketCalls.outOfFds(int)", "SocketCalls.failedOneConnection(int)");

    @Test
    void codeOutsideTheLibraryCannotOpenTheRawCalls() {
        // Guards a bug: public classes in org.epoll4j.internal let any caller free memory or close fds.
        try (Arena arena = Arena.ofConfined()) {
            IllegalCallerException refused = assertThrows(IllegalCallerException.class,
                    () -> Syscalls.open(MethodHandles.lookup(), arena));
            assertTrue(refused.getMessage().startsWith(getClass().getName() + " may not make"), refused.getMessage());
        }
    }

    @Test
    void aLookupMovedIntoALibraryClassHasLostTheRightToOpenThem() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalCallerException.class,
                    () -> Syscalls.open(MethodHandles.lookup().in(EventLoop.class), arena));
            assertThrows(IllegalCallerException.class, () -> Syscalls.open(MethodHandles.publicLookup(), arena));
        }
    }

    @Test
    void onlyClassesLoadedFromTheLibrarysOwnClassesAreItsOwn() {
        assertTrue(Syscalls.isOurs(EventLoop.class));
        assertTrue(Syscalls.isOurs(Syscalls.class));
        assertFalse(Syscalls.isOurs(SyscallsGateTest.class), "same package, from the test classes");
        assertFalse(Syscalls.isOurs(String.class));
    }

    @Test
    void nothingElsePublicInThePackageTakesARawFdOrRawMemory() {
        assertEquals(new TreeSet<>(HARMLESS), PublicEntries.of(Syscalls.class),
                "a public static method or constructor of org.epoll4j.kernel was added or removed: check it is harmless");
    }
}
