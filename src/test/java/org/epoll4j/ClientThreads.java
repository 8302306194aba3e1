// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** A test's clients, each on a platform thread of its own, waited for with a bound: a test fixture. */
final class ClientThreads {
    /** Client {@code number}'s work. */
    @FunctionalInterface
    interface Client {
        void run(int number) throws Exception;
    }

    private ClientThreads() {}

    /**
     * Runs clients 0 to {@code count - 1} at once and returns once all have returned. Fails
     * as soon as one fails, naming it, or once {@code seconds} have passed; either way with
     * {@code progress}'s account, and with the threads still running interrupted.
     */
    static void run(String name, int count, long seconds, Client client, Supplier<String> progress)
            throws InterruptedException {
        ExecutorService threads = Executors.newFixedThreadPool(count,
                Thread.ofPlatform().name(name + "-", 0).daemon().factory());
        CompletionService<Void> finished = new ExecutorCompletionService<>(threads);
        Map<Future<Void>, Integer> numbers = new HashMap<>();
        for (int i = 0; i < count; i++) {
            int number = i;
            numbers.put(finished.submit(() -> {
                client.run(number);
                return null;
            }), number);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        try {
            for (int done = 0; done < count; done++) {
                Future<Void> next = finished.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (next == null) {
                    throw new AssertionError((count - done) + " of " + count + " " + name + "s did not finish within "
                            + seconds + " s; " + progress.get());
                }
                try {
                    next.get();
                } catch (ExecutionException e) {
                    throw new AssertionError(name + " " + numbers.get(next) + ": " + e.getCause().getMessage() + "; "
                            + progress.get(), e.getCause());
                }
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
