// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.util.function.BooleanSupplier;

/** Bounded waiting for a condition that another thread makes true: a test fixture. */
final class Eventually {
    private static final long PATIENCE_NANOS = 20_000_000_000L;

    private Eventually() {}

    /** Waits until {@code condition} holds; fails after 20 s, naming {@code what}. */
    static void until(String what, BooleanSupplier condition) throws InterruptedException {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - start > PATIENCE_NANOS) {
                throw new AssertionError("gave up waiting until " + what);
            }
            Thread.sleep(2);
        }
    }
}
