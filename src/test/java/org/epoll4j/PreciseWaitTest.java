package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Linker;
import org.junit.jupiter.api.Test;

/** The runtime choice between epoll_pwait2 and epoll_wait. */
class PreciseWaitTest {
    @Test
    void epollPwait2IsUsedWhereGlibcAndTheKernelHaveIt() {
        assumeTrue(Linker.nativeLinker().defaultLookup().find("epoll_pwait2").isPresent(),
                "this glibc has no epoll_pwait2 (before 2.35)");
        String[] version = System.getProperty("os.version").split("[.-]");
        int major = Integer.parseInt(version[0]);
        int minor = Integer.parseInt(version[1]);
        assumeTrue(major > 5 || major == 5 && minor >= 11, "this kernel has no epoll_pwait2 (before 5.11)");
        assertTrue(PreciseWait.AVAILABLE);
    }
}
