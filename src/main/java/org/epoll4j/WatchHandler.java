// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.io.IOException;

/**
 * What a {@link Watch} does when its fd is ready. Every method runs on the loop's thread.
 *
 * {@snippet :
 * WatchHandler drain = (watch, ready) -> {
 *     if ((ready & (Watch.READ | Watch.HANGUP)) != 0) {
 *         // read until the fd would block (EDGE), or once (LEVEL)
 *     }
 * };
 * }
 */
@FunctionalInterface
public interface WatchHandler {
    /**
     * The fd is ready.
     *
     * @param ready what it is ready for: {@link Watch#READ}, {@link Watch#WRITE},
     *     {@link Watch#ERROR} and {@link Watch#HANGUP}, or-ed
     */
    void onReady(Watch watch, int ready);

    /**
     * The watch is closed: by {@link Watch#close()}, by the loop closing (cause null), or
     * because {@link #onReady} threw (an IOException whose cause is the exception). Called
     * once; the fd is still open, and the application's to close.
     */
    default void onClose(Watch watch, IOException cause) {}
}
