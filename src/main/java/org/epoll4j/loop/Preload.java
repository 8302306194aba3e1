// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Loads and initializes every class of the library before the first loop opens.
 *
 * <p>Out of fds (EMFILE), a JVM run from a class directory or a jar cannot open a class
 * file, so a class first needed then (an error, a queued write, the timer of an accept
 * pause, a lazy holder of jextract's) would fail to load and end the loop. Rather than a
 * list of the classes on those paths, which goes stale when one joins them, every class
 * file under {@code org/epoll4j/} where this class was loaded from is loaded. Classes from a runtime image (jlink) or a loader that is neither a
 * directory nor a jar file are left to load as they are needed.
 */
final class Preload {
    private static final String ROOT = "org/epoll4j/";

    private Preload() {}

    /** Loads and initializes the library's classes; idempotent and cheap after the first call. */
    static void library() {
        for (String name : classNames()) {
            try {
                Class.forName(name, true, Preload.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("listed but not loadable: " + name, e);
            } catch (ExceptionInInitializerError e) {
                // A lazy holder of a symbol this libc lacks (epoll_pwait2 before glibc 2.35):
                // the library checks for the symbol and never uses it then.
            }
        }
    }

    /** The binary names of the library's classes where this class came from; none if unknown. */
    static List<String> classNames() {
        CodeSource source = Preload.class.getProtectionDomain().getCodeSource();
        URL location = source == null ? null : source.getLocation();
        if (location == null || !"file".equals(location.getProtocol())) {
            return List.of();
        }
        try {
            Path path = Path.of(location.toURI());
            List<String> files = Files.isDirectory(path) ? filesUnder(path) : filesInJar(path);
            List<String> names = new ArrayList<>();
            for (String file : files) {
                if (file.startsWith(ROOT) && file.endsWith(".class")) {
                    names.add(file.substring(0, file.length() - ".class".length()).replace('/', '.'));
                }
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("listing epoll4j's classes in " + location, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("epoll4j's code source is not a path: " + location, e);
        }
    }

    private static List<String> filesUnder(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root.resolve(ROOT))) {
            return files.filter(Files::isRegularFile).map(file -> root.relativize(file).toString()).toList();
        }
    }

    private static List<String> filesInJar(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            return file.stream().map(JarEntry::getName).toList();
        }
    }
}
