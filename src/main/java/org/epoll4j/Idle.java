// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

/**
 * What a connection has been idle in: see {@link Connection#setIdleTimeout} and
 * {@link ConnectionHandler#onIdle}.
 */
public enum Idle {
    /** No input has arrived. */
    READ,
    /** No output has gone to the kernel (the peer may not be reading). */
    WRITE,
    /** Neither input nor output. */
    BOTH
}
