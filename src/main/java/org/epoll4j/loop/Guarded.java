// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import java.util.function.Consumer;

/**
 * Runs steps that must not stop the loop (tasks, timers, clean-up): what one throws is
 * reported, and the next step runs. A VirtualMachineError is never caught.
 */
public final class Guarded {
    private Guarded() {}

    /** Runs {@code step}; what it throws, but a VirtualMachineError, goes to {@code failure}. */
    static void run(Consumer<Throwable> failure, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError error) {
                throw error;
            }
            failure.accept(e);
        }
    }

    /** Closes each non-null resource in order, whatever the others do. */
    static void closeAll(Consumer<Throwable> failure, AutoCloseable... resources) {
        for (AutoCloseable resource : resources) {
            if (resource == null) {
                continue;
            }
            try {
                resource.close();
            } catch (Exception | Error e) {
                if (e instanceof VirtualMachineError error) {
                    throw error;
                }
                failure.accept(e);
            }
        }
    }
}
