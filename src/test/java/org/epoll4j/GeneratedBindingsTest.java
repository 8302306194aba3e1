package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed bindings are what {@code headers/generate} makes of the committed inputs.
 *
 * <p>The script runs on a copy of {@code headers/}, so that its output lands in a scratch
 * tree and the checkout is never rewritten by a test (its first step deletes the
 * generated package, which would break a build running beside it). The output must then
 * equal the generated package byte for byte, and git must see that package unchanged.
 */
class GeneratedBindingsTest {
    private static final Path BASEDIR = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
    private static final String GENERATED = "src/main/java/org/epoll4j/ffi";

    @Test
    @Timeout(300)
    void regeneratingTheBindingsChangesNothing(@TempDir Path scratch) throws Exception {
        assumeJextract();
        assumeGitCheckout();
        Path headers = scratch.resolve("headers");
        copyTree(BASEDIR.resolve("headers"), headers);

        Result generate = run(scratch, headers.resolve("generate").toString());
        assertEquals(0, generate.exitCode(), "headers/generate failed:\n" + generate.output());

        assertEquals(files(BASEDIR.resolve(GENERATED)), files(scratch.resolve(GENERATED)),
                "regenerated bindings differ from " + GENERATED + "; jextract said:\n" + generate.output());
        Result status = run(BASEDIR, "git", "status", "--porcelain", "--", GENERATED);
        assertEquals("", status.output(), "git status of " + GENERATED);
        Result diff = run(BASEDIR, "git", "diff", "--exit-code", "--stat", "--", GENERATED);
        assertEquals(0, diff.exitCode(), "git diff of " + GENERATED + ":\n" + diff.output());
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
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "did not finish: " + line);
        return new Result(process.exitValue(), output);
    }
}
