// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;

/**
 * The example echo server as a child JVM, run from the build's class directories (the jars
 * are not built yet when tests run) on the JDK that runs the tests ({@link #javaCommand}): a
 * test fixture.
 * Its stdout is read line by line on a thread of its own; its stderr goes to a file.
 */
final class EchoServerProcess implements AutoCloseable {
    /* Under qemu-user (.ci/test-emulated), a JVM may take more than 20 s to start on a busy machine. */
    private static final long PATIENCE_SECONDS = System.getProperty("epoll4j.test.emulator", "").isEmpty() ? 20 : 50;
    private static final String END = "\u0000end of stdout";
    private static final String MAIN_CLASS = "org.epoll4j.examples.EchoServer";

    private final Process process;
    private final Path stderr;
    private final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    private final Thread stdoutReader;

    private EchoServerProcess(List<String> command) throws IOException {
        stderr = Files.createTempFile("echo-server-", ".stderr");
        process = new ProcessBuilder(command).redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        stdoutReader = Thread.ofVirtual().name("echo-server-stdout").start(this::readStdout);
    }

    /**
     * Starts {@code java ... -cp library:examples EchoServer args}, the command prefixed by
     * {@code wrapper} (e.g. prlimit), with the library from {@code library} (a class
     * directory or a jar) and the example from {@link #examples}.
     */
    static EchoServerProcess start(List<String> wrapper, Path library, String... args) throws IOException {
        return start(wrapper, List.of(), library, args);
    }

    /** As {@link #start(List, Path, String...)}, with options for the JVM. */
    static EchoServerProcess start(List<String> wrapper, List<String> jvmOptions, Path library, String... args)
            throws IOException {
        return start(wrapper, jvmOptions, List.of(library, examples()), MAIN_CLASS, args);
    }

    /** Starts the example {@code mainClass} (from target/classes and target/examples-classes) with {@code args}. */
    static EchoServerProcess startExample(String mainClass, String... args) throws IOException {
        return start(List.of(), List.of(), List.of(classes(), examples()), mainClass, args);
    }

    /** Stops it with SIGTERM; fails unless it exits 0 having written nothing to stderr. */
    void stopCleanly() throws InterruptedException, IOException {
        process.destroy();
        int status = awaitExit();
        if (status != 0 || !stderr().isEmpty()) {
            fail("exit status " + status + " on SIGTERM; stderr: " + stderr());
        }
        close();
    }

    /** As {@link #start(List, List, Path, String...)}, running {@code mainClass} from {@code classPath}. */
    static EchoServerProcess start(List<String> wrapper, List<String> jvmOptions, List<Path> classPath,
                                   String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(wrapper);
        command.add(javaCommand());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(String.join(File.pathSeparator, classPath.stream().map(Path::toString).toList()));
        command.add(mainClass);
        command.addAll(List.of(args));
        return new EchoServerProcess(command);
    }

    /**
     * The java command: the one in system property {@code epoll4j.test.java}, else this
     * JVM's. Under qemu-user this JVM's binary is foreign to the kernel, so the emulated
     * runs (.ci/test-emulated) name their launcher, which runs it through qemu.
     */
    static String javaCommand() {
        String named = System.getProperty("epoll4j.test.java", "");
        return named.isEmpty() ? ProcessHandle.current().info().command().orElseThrow() : named;
    }

    /** Starts {@code java ... -cp target/classes:target/examples-classes EchoServer args}. */
    static EchoServerProcess start(String... args) throws IOException {
        return start(List.of(), classes(), args);
    }

    /** target/classes: where the library was loaded from. */
    static Path classes() {
        try {
            return Path.of(EventLoop.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * target/examples-classes, the echo server's classes: from system property {@code
     * epoll4j.examples.classes}, which the build sets.
     */
    static Path examples() {
        String examples = System.getProperty("epoll4j.examples.classes", "");
        if (examples.isEmpty()) {
            throw new IllegalStateException("system property epoll4j.examples.classes is not set: run the tests with mvn");
        }
        return Path.of(examples);
    }

    /** Packs target/classes, the library, into a jar in {@code directory} with the JDK's jar tool; returns its path. */
    static Path jar(Path directory) {
        Path jar = directory.resolve("epoll4j.jar");
        ToolProvider tool = ToolProvider.findFirst("jar").orElseThrow(() -> new AssertionError("no jar tool"));
        StringWriter output = new StringWriter();
        PrintWriter out = new PrintWriter(output);
        int status = tool.run(out, out, "--create", "--file", jar.toString(), "-C", classes().toString(), ".");
        if (status != 0) {
            throw new AssertionError("jar exited " + status + ": " + output);
        }
        return jar;
    }

    Process process() {
        return process;
    }

    /** Waits for the {@code listening on HOST:PORT} line and returns that address. */
    InetSocketAddress awaitListening() throws Exception {
        String line = nextLine();
        if (line == null || !line.startsWith("listening on ")) {
            fail("expected 'listening on HOST:PORT', got " + line + "; stderr: " + stderr());
        }
        String hostPort = line.substring("listening on ".length());
        int colon = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
        return new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** The next line of stdout, or null at its end. */
    String nextLine() throws InterruptedException {
        String line = stdout.poll(PATIENCE_SECONDS, TimeUnit.SECONDS);
        if (line == null) {
            fail("no line on stdout within " + PATIENCE_SECONDS + " s; stderr: " + stderr());
        }
        return line.equals(END) ? null : line;
    }

    /** Everything left on stdout until it ends. */
    String restOfStdout() throws InterruptedException {
        StringBuilder rest = new StringBuilder();
        for (String line; (line = nextLine()) != null; ) {
            rest.append(line).append('\n');
        }
        return rest.toString();
    }

    /** Waits for the process to exit and returns its exit status. */
    int awaitExit() throws InterruptedException {
        if (!process.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS)) {
            fail("the echo server did not exit within " + PATIENCE_SECONDS + " s");
        }
        return process.exitValue();
    }

    String stderr() {
        try {
            return Files.readString(stderr, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroyForcibly();
        process.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS);
        // The reader closes the stdout pipe at its end: before close returns, as other tests count fds.
        stdoutReader.join(TimeUnit.SECONDS.toMillis(PATIENCE_SECONDS));
        Files.deleteIfExists(stderr);
    }

    private void readStdout() {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                stdout.add(line);
            }
        } catch (IOException e) {
            stdout.add("(stdout unreadable: " + e + ")");
        } finally {
            stdout.add(END);
        }
    }
}
