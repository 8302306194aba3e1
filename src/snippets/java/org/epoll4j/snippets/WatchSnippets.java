// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.snippets;

import java.io.IOException;
import org.epoll4j.EventLoop;
import org.epoll4j.Watch;
import org.epoll4j.WatchHandler;
import org.epoll4j.epoll.ErrnoException;

/**
 * The examples in the Javadoc of {@link Watch}, {@link Watch.Trigger} and
 * {@link WatchHandler}: fds the application owns, watched by a loop. Everything here runs
 * on the loop's thread.
 */
final class WatchSnippets {
    private WatchSnippets() {}

    /**
     * A non-blocking fd of the application's, such as a timerfd or an eventfd it made with
     * {@code java.lang.foreign} (not shown): the application reads and closes it.
     */
    interface CounterFd extends AutoCloseable {
        /** The fd. */
        int fd();

        /** Reads the counter: what it held, or 0 if it would block. */
        long read();

        /** Closes the fd. */
        @Override
        void close();
    }

    static Watch timer(EventLoop loop, CounterFd timer) throws ErrnoException {
        // @start region="watch"
        Watch watch = loop.watch(timer.fd(), Watch.READ, Watch.Trigger.LEVEL, new WatchHandler() {
            @Override
            public void onReady(Watch w, int ready) {
                long expirations = timer.read();           // the application reads its own fd
                System.out.println(expirations + " ticks");
            }

            @Override
            public void onClose(Watch w, IOException cause) {
                timer.close();                             // out of the loop's epoll set now: close the fd
            }
        });
        // @end
        return watch;
    }

    static void stop(Watch watch) {
        // @start region="watch-close"
        watch.close();                                     // the fd leaves the epoll set, then onClose runs
        // @end
    }

    static Watch edge(EventLoop loop, CounterFd events) throws ErrnoException {
        // @start region="edge"
        Watch watch = loop.watch(events.fd(), Watch.READ, Watch.Trigger.EDGE, (w, ready) -> {
            long n;
            while ((n = events.read()) != 0) {             // EDGE: read until it would block, or
                System.out.println(n + " events");         // the fd is not reported again
            }
        });
        // @end
        return watch;
    }

    static WatchHandler handler(CounterFd fd) {
        // @start region="watch-handler"
        WatchHandler handler = (watch, ready) -> {
            if ((ready & (Watch.READ | Watch.HANGUP)) != 0) {
                fd.read();                                 // once: LEVEL reports it again if more is there
            }
            if ((ready & Watch.ERROR) != 0) {
                watch.close();                             // onClose runs; the fd stays the application's
            }
        };
        // @end
        return handler;
    }
}
