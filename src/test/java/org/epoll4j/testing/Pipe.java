// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.testing;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.epoll4j.ffi.Libc;

/**
 * A non-blocking pipe made with pipe2(2), owning both of its fds: a test fixture.
 * Any thread may use it, one at a time.
 */
public final class Pipe implements AutoCloseable {
    /* The pipe's buffer; 64 KiB by default, so 4 KiB never fills it. */
    private static final int CHUNK = 4096;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(CHUNK);
    private int readFd = -1;
    private int writeFd = -1;

    private Pipe() {}

    public static Pipe open() {
        Pipe pipe = new Pipe();
        MemorySegment fds = pipe.arena.allocate(JAVA_INT, 2);
        if (Libc.pipe2(fds, Libc.O_NONBLOCK() | Libc.O_CLOEXEC()) != 0) {
            pipe.close();
            throw new IllegalStateException("pipe2 failed");
        }
        pipe.readFd = fds.getAtIndex(JAVA_INT, 0);
        pipe.writeFd = fds.getAtIndex(JAVA_INT, 1);
        return pipe;
    }

    public int readFd() {
        return readFd;
    }

    public int writeFd() {
        return writeFd;
    }

    /** Writes {@code count} bytes (at most 4096), making the read end readable. */
    public void write(int count) {
        if (count > CHUNK) {
            throw new IllegalArgumentException("at most " + CHUNK + " bytes: " + count);
        }
        buffer.asSlice(0, count).fill((byte) 'x');
        long written = Libc.write(writeFd, buffer, count);
        if (written != count) {
            throw new IllegalStateException("write wrote " + written + " of " + count);
        }
    }

    /** Reads whatever is buffered; returns how many bytes, 0 if none. */
    public long drain() {
        long total = 0;
        long n;
        while ((n = Libc.read(readFd, buffer, CHUNK)) > 0) {
            total += n;
        }
        return total;
    }

    /** Reads one byte; returns false if none was buffered. */
    public boolean readOne() {
        return Libc.read(readFd, buffer, 1) == 1 && buffer.get(JAVA_BYTE, 0) == 'x';
    }

    /** Closes the write end only: the read end then reports hang-up. */
    public void closeWriteEnd() {
        if (writeFd >= 0) {
            Libc.close(writeFd);
            writeFd = -1;
        }
    }

    /** Closes the read end only: the write end then reports an error. */
    public void closeReadEnd() {
        if (readFd >= 0) {
            Libc.close(readFd);
            readFd = -1;
        }
    }

    @Override
    public void close() {
        closeReadEnd();
        closeWriteEnd();
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
