// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Counts this process's open file descriptors in /proc/self/fd: a test fixture. */
public final class OpenFds {
    private static final Path PROC_SELF_FD = Path.of("/proc/self/fd");

    private OpenFds() {}

    /**
     * The number of open fds. Listing the directory opens one fd of its own, which is
     * counted every time alike, so differences between two counts are exact.
     */
    public static long count() {
        try (Stream<Path> fds = Files.list(PROC_SELF_FD)) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
