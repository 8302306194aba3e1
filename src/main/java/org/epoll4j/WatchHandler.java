// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.io.IOException;

/**
 * What a {@link Watch} does when its fd is ready. Every method runs on the loop's thread.
 *
 * {@snippet class="org.epoll4j.snippets.WatchSnippets" region="watch-handler"}
 */
@FunctionalInterface
public interface WatchHandler {
    /**
     * The fd is ready.
     *
     * @param watch the watch of the fd
     * @param ready what it is ready for: {@link Watch#READ}, {@link Watch#WRITE},
     *     {@link Watch#ERROR} and {@link Watch#HANGUP}, or-ed
     */
    void onReady(Watch watch, int ready);

    /**
     * The watch is closed: by {@link Watch#close()}, by the loop closing (cause null), or
     * because {@link #onReady} threw (an IOException whose cause is the exception). Called
     * once; the fd is still open, and the application's to close.
     *
     * @param watch the watch, closed: its fd is out of the loop's epoll set
     * @param cause null, or why the watch closed
     */
    default void onClose(Watch watch, IOException cause) {}
}
