package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The loop's clean-up steps: one that fails does not skip the others. */
class CloserTest {
    @Test
    void aResourceThatFailsToCloseDoesNotKeepTheOthersOpen() {
        // Guards a bug: the loop's closeQuietly threw, so a failing resource skipped the rest.
        List<String> closed = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        IllegalStateException failure = new IllegalStateException("output chunks were not given back");
        Closer.closeAll(failures::add, () -> closed.add("events"), () -> {
            throw failure;
        }, null, () -> closed.add("io"));
        assertEquals(List.of("events", "io"), closed);
        assertEquals(List.of(failure), failures);
    }

    @Test
    void aVirtualMachineErrorIsNotSwallowed() {
        OutOfMemoryError error = new OutOfMemoryError();
        assertSame(error, assertThrows(OutOfMemoryError.class, () -> Closer.run(e -> {}, () -> {
            throw error;
        })));
    }
}
