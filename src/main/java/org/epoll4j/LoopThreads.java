// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.epoll4j.epoll.ErrnoException;
import org.epoll4j.loop.Loop;

/**
 * The threads of an {@link EventLoopGroup}, a platform thread per loop: each runs its
 * loop, closes it if its {@code run()} fails, and ends; the group's close waits for them
 * all. Calls onto a loop's thread from another thread go through {@link #call}.
 */
final class LoopThreads {
    private final List<EventLoop> loops;
    private final List<Thread> threads;
    private final CompletableFuture<Void> ended = new CompletableFuture<>();

    /** Starts a thread for each of {@code loops}, and returns once each owns its loop. */
    LoopThreads(List<EventLoop> loops) {
        this.loops = loops;
        List<Thread> started = new ArrayList<>();
        AtomicInteger running = new AtomicInteger(loops.size());
        List<CompletableFuture<Void>> owned = new ArrayList<>();
        for (int i = 0; i < loops.size(); i++) {
            EventLoop loop = loops.get(i);
            CompletableFuture<Void> ownedByItsThread = new CompletableFuture<>();
            owned.add(ownedByItsThread);
            // The loop belongs to its thread once run() has begun: then its first task runs.
            loop.execute(() -> ownedByItsThread.complete(null));
            started.add(Thread.ofPlatform().name("epoll4j-loop-" + i).start(() -> {
                try {
                    loop.run();
                } catch (RuntimeException | Error e) {
                    try {
                        loop.core().report("run() of " + Thread.currentThread().getName() + ", whose loop closes", e);
                    } finally {
                        // Nobody runs it now: its clients would wait for the group's close. Even
                        // if the report throws (an ErrorHandler that rethrows, out of memory).
                        loop.close();
                    }
                } finally {
                    ownedByItsThread.complete(null); // run() failed at once: open() must not wait for it
                    if (running.decrementAndGet() == 0) {
                        ended.complete(null);
                    }
                }
            }));
        }
        this.threads = List.copyOf(started);
        CompletableFuture.allOf(owned.toArray(CompletableFuture[]::new)).join(); // through interrupts, as close()
    }

    /** The loop whose thread this is, or null. */
    EventLoop ownLoop() {
        for (EventLoop loop : loops) {
            if (loop.inLoop()) {
                return loop;
            }
        }
        return null;
    }

    /** See {@link EventLoopGroup#close()}. */
    void close() {
        closeAsync();
        if (ownLoop() == null && !Loop.onAnyLoopThread()) {
            boolean interrupted = false;
            for (Thread thread : threads) {
                while (thread.isAlive()) {
                    try {
                        thread.join();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            loops.forEach(EventLoop::close); // a loop whose run() failed at once is released here
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** See {@link EventLoopGroup#closeAsync()}. */
    CompletionStage<Void> closeAsync() {
        List<CompletableFuture<Void>> released = new ArrayList<>();
        for (EventLoop loop : loops) {
            released.add(loop.closeAsync().toCompletableFuture());
        }
        released.add(ended);
        return CompletableFuture.allOf(released.toArray(CompletableFuture[]::new)).minimalCompletionStage();
    }

    /** Runs {@code call} on {@code loop}'s thread and waits for its result. */
    static <T> T call(EventLoop loop, Callable<T> call) throws ErrnoException {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            loop.execute(() -> {
                try {
                    result.complete(call.call());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("EventLoopGroup is closed", e);
        }
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + loop, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ErrnoException errno) {
                throw errno;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        }
    }
}
