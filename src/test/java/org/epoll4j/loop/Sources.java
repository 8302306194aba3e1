// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

/** What tests read of a {@link Source} that its API does not show. */
public final class Sources {
    private Sources() {}

    /** The source's fd, -1 once closed. Loop thread. */
    public static int fd(Source source) {
        return source.fd;
    }
}
