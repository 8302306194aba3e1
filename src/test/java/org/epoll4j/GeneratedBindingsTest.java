// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed bindings are what {@code headers/generate} makes of the committed inputs,
 * for each of x86_64, aarch64 and riscv64.
 *
 * <p>The script runs on a copy of {@code headers/}, so that its output lands in a scratch
 * tree and the checkout is never rewritten by a test (its first step deletes the
 * generated package, which would break a build running beside it). The output must then
 * equal the generated packages byte for byte, and git must see them unchanged.
 */
class GeneratedBindingsTest {
    private static final Path BASEDIR = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
    private static final String GENERATED = "src/main/java/org/epoll4j/ffi";
    /** Each target's Debian package of cross headers, by the name of its generated package. */
    private static final Map<String, String> CROSS_HEADERS = new TreeMap<>(Map.of(
            "x86_64", "libc6-dev-amd64-cross", "aarch64", "libc6-dev-arm64-cross",
            "riscv64", "libc6-dev-riscv64-cross"));

    @Test
    @Timeout(300)
    void regeneratingTheBindingsOfAllThreeArchitecturesChangesNothing(@TempDir Path scratch) throws Exception {
        assumeJextract();
        assumeCrossHeaders();
        assumeGitCheckout();
        Path headers = scratch.resolve("headers");
        copyTree(BASEDIR.resolve("headers"), headers);

        Result generate = run(scratch, headers.resolve("generate").toString());
        assertEquals(0, generate.exitCode(), "headers/generate failed:\n" + generate.output());

        Map<String, String> committed = files(BASEDIR.resolve(GENERATED));
        Map<String, String> regenerated = files(scratch.resolve(GENERATED));
        List<Executable> packages = new ArrayList<>();
        packages.add(() -> assertEquals(inPackage(committed, ""), inPackage(regenerated, ""),
                "org.epoll4j.ffi regenerated differs; jextract said:\n" + generate.output()));
        for (String arch : CROSS_HEADERS.keySet()) {
            packages.add(() -> assertFalse(inPackage(committed, arch).isEmpty(), "no org.epoll4j.ffi." + arch));
            packages.add(() -> assertEquals(inPackage(committed, arch), inPackage(regenerated, arch),
                    "org.epoll4j.ffi." + arch + " regenerated differs; jextract said:\n" + generate.output()));
        }
        packages.add(() -> assertEquals(committed.keySet(), regenerated.keySet(), "the files generated"));
        assertAll(packages);

        Result status = run(BASEDIR, "git", "status", "--porcelain", "--", GENERATED);
        assertEquals("", status.output(), "git status of " + GENERATED);
        Result diff = run(BASEDIR, "git", "diff", "--exit-code", "--stat", "--", GENERATED);
        assertEquals(0, diff.exitCode(), "git diff of " + GENERATED + ":\n" + diff.output());
    }

    /** The files of {@code files} in subpackage {@code arch} ("" for org.epoll4j.ffi itself). */
    private static Map<String, String> inPackage(Map<String, String> files, String arch) {
        Map<String, String> selected = new TreeMap<>();
        files.forEach((path, content) -> {
            int slash = path.lastIndexOf('/');
            if (arch.equals(slash < 0 ? "" : path.substring(0, slash))) {
                selected.put(path, content);
            }
        });
        return selected;
    }

    private static void assumeCrossHeaders() {
        CROSS_HEADERS.forEach((arch, debian) -> Assumptions.assumeTrue(
                Files.isRegularFile(Path.of("/usr/" + arch + "-linux-gnu/include/sys/epoll.h")),
                "no " + arch + " headers in /usr/" + arch + "-linux-gnu/include (Debian's " + debian
                        + "): bindings not regenerated"));
    }

    private static void assumeJextract() {
        String configured = System.getenv("JEXTRACT");
        boolean found = configured != null && !configured.isEmpty()
                ? Files.isExecutable(Path.of(configured))
                : onPath("jextract");
        Assumptions.assumeTrue(found, "jextract not found on PATH or in $JEXTRACT: bindings not regenerated");
    }

    private static void assumeGitCheckout() throws Exception {
        Assumptions.assumeTrue(onPath("git"), "git not found on PATH: bindings not compared");
        Result inside = run(BASEDIR, "git", "rev-parse", "--is-inside-work-tree");
        Assumptions.assumeTrue(inside.exitCode() == 0 && inside.output().strip().equals("true"),
                BASEDIR + " is not a git checkout: bindings not compared");
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        return path != null && Arrays.stream(path.split(":"))
                .filter(dir -> !dir.isEmpty())
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }

    /** Every regular file under {@code root}, by relative path, with its content. */
    private static Map<String, String> files(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        if (!Files.isDirectory(root)) {
            return files;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                files.put(root.relativize(file).toString(), Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        return files;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path source : walk.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target); // keeps the script executable
                }
            }
        }
    }

    private record Result(int exitCode, String output) {}

    /** Runs a command to its end; output and errors together. */
    private static Result run(Path directory, String... command) throws Exception {
        List<String> line = new ArrayList<>(List.of(command));
        Process process = new ProcessBuilder(line)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.DISCARD.file())
                .start();
        String output;
        // Closed here, not by the JDK's process reaper after waitFor: other tests count this JVM's fds.
        try (InputStream out = process.getInputStream()) {
            output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(process.waitFor(240, TimeUnit.SECONDS), "did not finish: " + line); // six jextract runs
        return new Result(process.exitValue(), output);
    }
}
