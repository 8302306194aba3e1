// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Out of fds, a class first needed would fail to load: every class of the library must
 * be loaded once a loop is open. Checked in a child JVM that logs every class it loads,
 * against the class files of target/classes, so that a class added to the library is
 * covered without anyone remembering it.
 */
@Timeout(60)
class PreloadTest {
    private static final Pattern LOADED = Pattern.compile("\\] (org\\.epoll4j\\.\\S+) source: ");

    @Test
    void everyClassOfTheLibraryIsLoadedOnceALoopIsOpenFromTheClassDirectory(@TempDir Path directory)
            throws Exception {
        assertEverythingLoaded(EchoServerProcess.classes(), directory);
    }

    @Test
    void everyClassOfTheLibraryIsLoadedOnceALoopIsOpenFromAJar(@TempDir Path directory) throws Exception {
        assertEverythingLoaded(EchoServerProcess.jar(directory), directory);
    }

    private static void assertEverythingLoaded(Path classPath, Path directory) throws Exception {
        Path log = directory.resolve("classes.log");
        try (EchoServerProcess server = EchoServerProcess.start(List.of(),
                List.of("-Xlog:class+load=info:file=" + log), classPath, "--port", "0")) {
            server.awaitListening();
        }
        Set<String> loaded = new TreeSet<>();
        for (String line : Files.readAllLines(log)) {
            Matcher match = LOADED.matcher(line);
            if (match.find()) {
                loaded.add(match.group(1));
            }
        }
        Set<String> library = libraryClasses();
        assertTrue(library.size() > 50, "library classes found: " + library);
        library.removeAll(loaded);
        assertEquals(Set.of(), library, "library classes not loaded once the loop was open");
    }

    /** The library's classes: everything in target/classes. */
    private static Set<String> libraryClasses() throws IOException {
        Path root = EchoServerProcess.classes();
        try (Stream<Path> files = Files.walk(root.resolve("org/epoll4j"))) {
            return files.map(file -> root.relativize(file).toString())
                    .filter(name -> name.endsWith(".class"))
                    .map(name -> name.substring(0, name.length() - ".class".length()).replace('/', '.'))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
