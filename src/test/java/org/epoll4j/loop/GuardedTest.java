// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Steps that report what they throw: one that fails does not skip the others. */
class GuardedTest {
    @Test
    void aResourceThatFailsToCloseDoesNotKeepTheOthersOpen() {
        // Guards a bug: the loop's closeQuietly threw, so a failing resource skipped the rest.
        List<String> closed = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        IllegalStateException failure = new IllegalStateException("output chunks were not given back");
        Guarded.closeAll(failures::add, () -> closed.add("events"), () -> {
            throw failure;
        }, null, () -> closed.add("io"));
        assertEquals(List.of("events", "io"), closed);
        assertEquals(List.of(failure), failures);
    }

    @Test
    void aVirtualMachineErrorIsNotSwallowed() {
        OutOfMemoryError error = new OutOfMemoryError();
        assertSame(error, assertThrows(OutOfMemoryError.class, () -> Guarded.run(e -> {}, () -> {
            throw error;
        })));
    }
}
