// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Closing a loop from any thread: nothing lost, nothing deadlocked. The timeout runs each
 * test on a thread of its own, so that a deadlock fails the test instead of hanging it.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LoopShutdownTest {
    @Test
    void everyTaskGivenWhileAnotherThreadClosesTheLoopRunsOrIsRefused() throws Exception {
        // Guards a bug: with four threads executing while a fifth closed, about 4,000 of
        // 400,000 tasks neither ran nor were refused.
        int threads = 4;
        int perThread = 100_000;
        for (int round = 0; round < 3; round++) {
            AtomicLong ran = new AtomicLong();
            AtomicLong refused = new AtomicLong();
            LoopThread loop = LoopThread.start();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> givers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                givers.add(Thread.ofPlatform().start(() -> {
                    awaitQuietly(start);
                    for (int i = 0; i < perThread; i++) {
                        try {
                            loop.loop().execute(ran::incrementAndGet);
                        } catch (RejectedExecutionException e) {
                            refused.incrementAndGet();
                        }
                    }
                }));
            }
            start.countDown();
            Thread.sleep(round * 5L); // closes at different points of the stream
            loop.close();
            for (Thread giver : givers) {
                giver.join();
            }
            assertEquals(threads * perThread, ran.get() + refused.get(),
                    "ran " + ran.get() + ", refused " + refused.get());
        }
    }

    @Test
    void everyTaskGivenWhileTheLoopIsStoppedThenClosedRunsOrIsRefused() throws Exception {
        // Found in review: with stop() then close(), the runner could release the loop
        // before close() stopped taking tasks, and tasks taken meanwhile never ran.
        long lost = 0;
        int lostRounds = 0;
        int rounds = 300;
        for (int round = 0; round < rounds; round++) {
            AtomicLong ran = new AtomicLong();
            AtomicLong taken = new AtomicLong();
            LoopThread loop = LoopThread.start();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> givers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                givers.add(Thread.ofPlatform().start(() -> {
                    awaitQuietly(start);
                    while (true) {
                        try {
                            loop.loop().execute(ran::incrementAndGet);
                            taken.incrementAndGet();
                        } catch (RejectedExecutionException e) {
                            return;
                        }
                    }
                }));
            }
            start.countDown();
            loop.loop().stop();
            loop.loop().close();
            for (Thread giver : givers) {
                giver.join();
            }
            loop.close();
            if (taken.get() != ran.get()) {
                lostRounds++;
                lost += taken.get() - ran.get();
            }
        }
        assertEquals(0, lost, lost + " tasks taken and never run, in " + lostRounds + " of " + rounds + " rounds");
    }

    @Test
    void twoLoopsWhoseThreadsCloseEachOtherBothEnd() throws Exception {
        // Guards a bug: loop A's thread in b.close() waited for B, B's thread in a.close()
        // waited for A, and neither returned.
        LoopThread a = LoopThread.start();
        LoopThread b = LoopThread.start();
        CyclicBarrier together = new CyclicBarrier(2);
        a.loop().execute(() -> {
            awaitQuietly(together);
            b.loop().close();
        });
        b.loop().execute(() -> {
            awaitQuietly(together);
            a.loop().close();
        });
        a.thread().join(TimeUnit.SECONDS.toMillis(20));
        b.thread().join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(a.thread().isAlive(), "loop A's thread ended");
        assertFalse(b.thread().isAlive(), "loop B's thread ended");
        a.close();
        b.close();
    }

    @Test
    void closeAsyncCompletesOnceTheLoopIsReleasedAndCloseOnItsOwnThreadReturns() throws Exception {
        LoopThread loop = LoopThread.start();
        CompletableFuture<Boolean> returned = new CompletableFuture<>();
        loop.loop().execute(() -> {
            loop.loop().close(); // its own thread: cannot wait for itself
            returned.complete(true);
        });
        assertTrue(returned.get(20, TimeUnit.SECONDS));
        loop.loop().closeAsync().toCompletableFuture().get(20, TimeUnit.SECONDS);
        loop.thread().join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(loop.thread().isAlive());
        assertThrows(RejectedExecutionException.class, () -> loop.loop().execute(() -> {}));
        loop.close();
    }

    @Test
    void closeOnAnInterruptedThreadStillWaitsForTheReleaseAndKeepsTheInterrupt() throws Exception {
        LoopThread loop = LoopThread.start();
        CountDownLatch inTask = new CountDownLatch(1);
        CountDownLatch finishTask = new CountDownLatch(1);
        loop.loop().execute(() -> {
            inTask.countDown();
            awaitQuietly(finishTask);
        });
        assertTrue(inTask.await(20, TimeUnit.SECONDS));
        CompletableFuture<Boolean> releasedWhenCloseReturned = new CompletableFuture<>();
        CompletableFuture<Boolean> interruptKept = new CompletableFuture<>();
        Thread closer = Thread.ofPlatform().start(() -> {
            Thread.currentThread().interrupt();
            loop.loop().close();
            interruptKept.complete(Thread.currentThread().isInterrupted());
            releasedWhenCloseReturned.complete(loop.loop().closeAsync().toCompletableFuture().isDone());
        });
        Thread.sleep(50);
        assertTrue(closer.isAlive(), "close() waits while the loop's task runs");
        finishTask.countDown();
        closer.join(TimeUnit.SECONDS.toMillis(20));
        assertTrue(interruptKept.get(20, TimeUnit.SECONDS), "the interrupt status is set again");
        assertTrue(releasedWhenCloseReturned.get(20, TimeUnit.SECONDS), "released when close() returned");
        loop.close();
    }

    @Test
    void codeHoldingTheLoopsMonitorCannotBlockExecuteStopOrClose() throws Exception {
        // Guards a bug: the loop locked on itself, an object any code can lock.
        LoopThread loop = LoopThread.start();
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch unlock = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            synchronized (loop.loop()) {
                locked.countDown();
                awaitQuietly(unlock);
            }
        });
        try {
            assertTrue(locked.await(20, TimeUnit.SECONDS));
            CompletableFuture<Boolean> ran = new CompletableFuture<>();
            loop.loop().execute(() -> ran.complete(true));
            assertTrue(ran.get(20, TimeUnit.SECONDS));
            loop.close();
        } finally {
            unlock.countDown();
            holder.join();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitQuietly(CyclicBarrier barrier) {
        try {
            barrier.await(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
