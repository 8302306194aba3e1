// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** What the kernel says a thread of this process is doing, from /proc: a test fixture. */
final class KernelThreads {
    private static final Path TASKS = Path.of("/proc/self/task");

    private KernelThreads() {}

    /**
     * Whether the thread named {@code name} (unique, at most 15 characters: the kernel's
     * comm) is asleep in epoll_wait or epoll_pwait2, as its wait channel says.
     */
    static boolean inEpollWait(String name) {
        try (Stream<Path> tasks = Files.list(TASKS)) {
            return tasks.filter(task -> read(task.resolve("comm")).equals(name))
                    .anyMatch(task -> read(task.resolve("wchan")).contains("epoll_wait"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return ""; // the thread ended meanwhile
        }
    }
}
