// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.lang.System.Logger.Level;
import java.lang.System.Logger;

/** {@link ErrorHandler#systemLogger()}: the {@link System.Logger} named {@code org.epoll4j}, at ERROR. */
final class LoggingErrorHandler implements ErrorHandler {
    static final LoggingErrorHandler INSTANCE = new LoggingErrorHandler();
    private static final Logger LOGGER = System.getLogger("org.epoll4j");

    private LoggingErrorHandler() {}

    @Override
    public void onError(String where, Throwable error) {
        LOGGER.log(Level.ERROR, () -> Thread.currentThread().getName() + ": " + where + " failed", error);
    }
}
