// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The fault-injection shim, {@code src/test/c/faults.c}: built with the machine's C compiler
 * into {@code target/faults} once per test run, and put into the echo server's JVM with
 * {@code LD_PRELOAD}: a test fixture. The file's header says what it injects and counts.
 */
final class FaultShim {
    private static final String EMULATOR = System.getProperty("epoll4j.test.emulator", "");
    private static Path library;

    private FaultShim() {}

    /**
     * The shim, built on first use. Skips the calling test (a JUnit assumption) under
     * emulation, where the shim, built for the host, cannot load into the emulated JVM, and
     * where neither {@code cc} nor {@code gcc} is on the PATH.
     */
    static synchronized Path library() throws IOException, InterruptedException {
        assumeTrue(EMULATOR.isEmpty(), "the fault-injection shim is built for the host and cannot load into a JVM"
                + " under " + EMULATOR + ": fault-injection tests skipped");
        Optional<Path> compiler = compiler();
        assumeTrue(compiler.isPresent(), "no C compiler (cc or gcc) on the PATH to build src/test/c/faults.c:"
                + " fault-injection tests skipped");
        if (library == null) {
            library = build(compiler.get());
        }
        return library;
    }

    /**
     * The command prefix that starts a program with the shim preloaded, injecting {@code
     * families} (the names of faults.c; none: only counting) into {@code percent} percent
     * of the calls that may fail so, and mapping its counters to {@code counters}.
     */
    static List<String> preload(Path counters, long seed, int percent, String... families)
            throws IOException, InterruptedException {
        return List.of("env", "LD_PRELOAD=" + library(), "EPOLL4J_FAULTS=" + String.join(",", families),
                "EPOLL4J_FAULTS_PERCENT=" + percent, "EPOLL4J_FAULTS_SEED=" + seed,
                "EPOLL4J_FAULTS_COUNTERS=" + counters);
    }

    private static Optional<Path> compiler() {
        for (String name : List.of("cc", "gcc")) {
            for (String directory : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                Path candidate = Path.of(directory.isEmpty() ? "." : directory, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** Compiles faults.c into target/faults/libepoll4j-faults.so; fails the test if it does not compile. */
    private static Path build(Path compiler) throws IOException, InterruptedException {
        Path target = EchoServerProcess.classes().getParent(); // target/classes -> target
        Path source = target.getParent().resolve("src/test/c/faults.c");
        Path directory = Files.createDirectories(target.resolve("faults"));
        Path output = directory.resolve("libepoll4j-faults.so");
        Path log = directory.resolve("build.log");
        List<String> command = new ArrayList<>(List.of(compiler.toString(), "-shared", "-fPIC", "-O2", "-Wall",
                "-Wextra", "-U_FORTIFY_SOURCE", "-o", output.toString(), source.toString(), "-ldl", "-pthread"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the C compiler did not finish within 60 s: " + command);
        }
        if (process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + process.exitValue() + ":\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
        return output;
    }
}
