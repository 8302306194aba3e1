// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.snippets;

import java.util.concurrent.atomic.LongAdder;
import org.epoll4j.ErrorHandler;
import org.epoll4j.EventLoopGroup;
import org.epoll4j.LoopMetrics;

/** The examples in the Javadoc of {@link LoopMetrics} and {@link ErrorHandler}: seeing inside the loops. */
final class ObservabilitySnippets {
    private ObservabilitySnippets() {}

    static void metrics(EventLoopGroup group) throws InterruptedException {
        // @start region="metrics"
        LoopMetrics before = group.metrics();              // any thread; the loops go on
        Thread.sleep(1_000);
        LoopMetrics second = group.metrics().minus(before); // counts over that second; levels now
        System.out.printf("%d connections, %d turns, %.0f%% busy%n",
                second.connections(), second.turns(), 100 * second.busyFraction());
        // @end
    }

    static void errorHandler(EventLoopGroup group, LongAdder failures) {
        // @start region="error-handler"
        ErrorHandler logging = ErrorHandler.systemLogger();  // the default
        group.setErrorHandler((where, error) -> {
            failures.increment();                            // a counter of the application's
            logging.onError(where, error);                   // and the log, as before
        });
        // @end
    }
}
