package org.epoll4j;

import java.util.function.Consumer;

/** Runs clean-up steps so that one that fails does not skip the others. */
final class Closer {
    private Closer() {}

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
