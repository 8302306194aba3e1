// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** This process's open file descriptors, from /proc/self/fd, or another's: a test fixture. */
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

    /** Each open fd and what it is (its link in /proc/self/fd, such as {@code socket:[1234]}). */
    public static Map<Integer, String> snapshot() {
        return snapshot(PROC_SELF_FD);
    }

    /** Each open fd of process {@code pid} (a child of this one's, or another of its user's) and what it is. */
    public static Map<Integer, String> snapshot(long pid) {
        return snapshot(Path.of("/proc", Long.toString(pid), "fd"));
    }

    private static Map<Integer, String> snapshot(Path directory) {
        try (Stream<Path> fds = Files.list(directory)) {
            Map<Integer, String> open = new TreeMap<>();
            fds.forEach(fd -> {
                try {
                    open.put(Integer.valueOf(fd.getFileName().toString()), Files.readSymbolicLink(fd).toString());
                } catch (IOException e) {
                    // closed meanwhile (the listing's own fd, or another thread's)
                }
            });
            return open;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The fds open now that were not in {@code before}: what a leak leaves. Unlike a count,
     * it is not thrown off by fds that other code closes meanwhile (the JDK closes a finished
     * process's pipes on a thread of its own, for one).
     */
    public static Map<Integer, String> openedSince(Map<Integer, String> before) {
        return openedSince(snapshot(), before);
    }

    /** The fds of process {@code pid} open now that were not in {@code before}, a snapshot of its. */
    public static Map<Integer, String> openedSince(long pid, Map<Integer, String> before) {
        return openedSince(snapshot(pid), before);
    }

    private static Map<Integer, String> openedSince(Map<Integer, String> now, Map<Integer, String> before) {
        return now.entrySet().stream()
                .filter(fd -> !fd.getValue().equals(before.get(fd.getKey())))
                .filter(fd -> !fd.getValue().startsWith("/proc/")) // the listing's own
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
    }
}
