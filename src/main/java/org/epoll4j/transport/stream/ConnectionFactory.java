// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import org.epoll4j.Connection;
import org.epoll4j.loop.Loop;

/**
 * Makes the {@link Connection} of a stream socket, with its handler: the API's
 * constructor, which this package cannot call, given by the API to each listener and
 * connect.
 */
@FunctionalInterface
public interface ConnectionFactory {
    /** A connection of {@code loop} over {@code fd}; {@code connected} unless a connect is under way. */
    StreamOutput open(Loop loop, int fd, boolean connected);
}
