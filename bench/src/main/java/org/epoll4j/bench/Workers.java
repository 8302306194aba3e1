// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The executors of the off-loop echo servers, the same for Netty and epoll4j. */
final class Workers {

    private Workers() {}

    /**
     * {@code --executor pool}: a fixed pool of {@code --workers} platform threads (daemons, so
     * that SIGTERM's exit does not wait for them); {@code --executor virtual}: a new virtual
     * thread per task.
     */
    static ExecutorService of(ServerOptions options) {
        if (options.executor() == null) {
            throw new IllegalArgumentException("--executor pool|virtual is required");
        }
        if (options.executor().equals("virtual")) {
            return Executors.newVirtualThreadPerTaskExecutor();
        }
        return Executors.newFixedThreadPool(options.workers(), task -> {
            Thread thread = new Thread(task, "worker");
            thread.setDaemon(true);
            return thread;
        });
    }
}
