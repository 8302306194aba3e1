// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.epoll;

import java.io.IOException;
import org.epoll4j.kernel.Errno;

/**
 * A system call failed: carries the call, the errno value and its symbolic name.
 *
 * {@snippet class="org.epoll4j.snippets.EpollSnippets" region="errno"}
 *
 * <p>Outcomes that non-blocking I/O expects (would block, interrupted) are not
 * thrown; each method that can meet one documents what it returns instead.
 */
public final class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The call as it was made, e.g. {@code "epoll_ctl(ADD, fd=7)"}. */
    private final String call;
    /** The value of errno after the call. */
    private final int errno;

    /**
     * Creates the exception for a call that failed with {@code errno}.
     *
     * @param call the call as it was made, e.g. {@code "epoll_ctl(ADD, fd=7)"}
     * @param errno the value of errno after the call
     */
    public ErrnoException(String call, int errno) {
        super(call + ": " + Errno.description(errno) + " (" + Errno.name(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    /**
     * The name of the system call.
     *
     * @return the call's name without its arguments, e.g. {@code "epoll_ctl"}
     */
    public String syscall() {
        int paren = call.indexOf('(');
        return paren < 0 ? call : call.substring(0, paren);
    }

    /**
     * The errno value.
     *
     * @return errno as the call left it, e.g. 17 for EEXIST
     */
    public int errno() {
        return errno;
    }

    /**
     * The errno's symbolic name.
     *
     * @return e.g. {@code "EEXIST"}
     */
    public String errnoName() {
        return Errno.name(errno);
    }
}
