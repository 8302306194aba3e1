// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Linker;
import org.epoll4j.ffi.Libc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The runtime choice between epoll_pwait2 and epoll_wait. */
class PreciseWaitTest {
    @Test
    @Timeout(30)
    void epollPwait2IsUsedWhereGlibcAndTheKernelHaveIt() {
        assumeTrue(Linker.nativeLinker().defaultLookup().find("epoll_pwait2").isPresent(),
                "this glibc has no epoll_pwait2 (before 2.35)");
        String[] version = System.getProperty("os.version").split("[.-]");
        int major = Integer.parseInt(version[0]);
        int minor = Integer.parseInt(version[1]);
        assumeTrue(major > 5 || major == 5 && minor >= 11, "this kernel has no epoll_pwait2 (before 5.11)");
        // The emulated runs (.ci/test-emulated) name their emulator: qemu-user 7.2 answers
        // epoll_pwait2 with ENOSYS whatever the host kernel, and the library falls back.
        String emulator = System.getProperty("epoll4j.test.emulator", "");
        assumeTrue(emulator.isEmpty(), "system calls go through " + emulator + ", not straight to the kernel");
        assertTrue(Syscalls.hasPreciseWait());
    }

    @Test
    @Timeout(30)
    void onlyEbadfFromTheProbeMeansTheKernelHasEpollPwait2() {
        // Guards a bug: any errno but ENOSYS counted as "available", so a seccomp filter
        // that answers EPERM made every wait fail.
        assertTrue(EpollCalls.pwait2Answered(-1, Libc.EBADF()));
        assertFalse(EpollCalls.pwait2Answered(-1, Libc.ENOSYS()), "before Linux 5.11");
        assertFalse(EpollCalls.pwait2Answered(-1, Libc.EPERM()), "a seccomp filter");
        assertFalse(EpollCalls.pwait2Answered(-1, Libc.EINVAL()), "anything else");
    }
}
