// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;

/**
 * Guards the lost wake-up fixed in Tasks.ready: clearing the pending flag before draining
 * the eventfd could drain away a wake-up written in between, leave the flag set, and
 * make every later execute() skip the eventfd while the loop slept in epoll_wait.
 */
class WakeupTest {
    private static final int THREADS = 2;
    private static final int TASKS_PER_THREAD = 200_000;

    // Without the fix, about one run in three hung: five make a regression likely to show.
    @RepeatedTest(5)
    @Timeout(60)
    void tasksFromManyThreadsAllRunAndTheLoopStillWakesAfterwards() throws Exception {
        try (LoopThread loop = LoopThread.start()) {
            AtomicInteger ran = new AtomicInteger();
            CountDownLatch allRan = new CountDownLatch(THREADS * TASKS_PER_THREAD);
            Thread[] senders = new Thread[THREADS];
            for (int t = 0; t < THREADS; t++) {
                senders[t] = new Thread(() -> {
                    for (int i = 0; i < TASKS_PER_THREAD; i++) {
                        loop.loop().execute(() -> {
                            ran.incrementAndGet();
                            allRan.countDown();
                        });
                    }
                });
                senders[t].start();
            }
            for (Thread sender : senders) {
                sender.join();
            }
            assertTrue(allRan.await(20, TimeUnit.SECONDS), "tasks run: " + ran.get());
            for (int i = 0; i < 1_000; i++) {
                int expected = i;
                assertEquals(expected, loop.call(() -> expected)); // each wakes a sleeping loop
            }
        }
    }
}
