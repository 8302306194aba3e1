// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

/**
 * Where a loop reports failures that no caller is there to catch: an exception thrown by a
 * handler, a task or a timer, and a system call of the loop's own that failed. By default
 * ({@link #systemLogger()}) they are logged with {@link System.Logger}; a loop's
 * {@link EventLoop#setErrorHandler} or a group's {@link EventLoopGroup#setErrorHandler}
 * plugs in another.
 *
 * {@snippet class="org.epoll4j.snippets.ObservabilitySnippets" region="error-handler"}
 *
 * <p>Notes:
 * <ul>
 * <li>It is called on the loop's thread, after the failure has been dealt with: a
 *     connection whose handler threw has been reset, and its {@code onClose} has the
 *     exception as its cause; a task that threw is done, and the loop goes on.
 * <li>What it throws, but a {@link VirtualMachineError}, goes to the loop thread's
 *     uncaught exception handler; a VirtualMachineError ends {@link EventLoop#run()}.
 * </ul>
 */
@FunctionalInterface
public interface ErrorHandler {
    /**
     * Reports {@code error}.
     *
     * @param where what failed, in words: {@code "a task"}, {@code "onData of connection
     *     fd=12 peer /127.0.0.1:51234"}, {@code "accept on /127.0.0.1:7007"}, ...
     * @param error what it threw, or the {@link org.epoll4j.epoll.ErrnoException} of the call
     */
    void onError(String where, Throwable error);

    /**
     * The default: logs each failure at level ERROR with the {@link System.Logger} named
     * {@code org.epoll4j}, saying which loop thread and what failed, with the stack trace.
     *
     * @return the handler every loop starts with
     */
    static ErrorHandler systemLogger() {
        return LoggingErrorHandler.INSTANCE;
    }
}
