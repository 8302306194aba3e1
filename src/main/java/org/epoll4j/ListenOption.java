// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

/**
 * How a server listens, beyond its address: see {@link EventLoop#listen}. Also
 * {@link ListenOption#REUSE_PORT} for {@link EventLoop#bindUdp(java.net.InetSocketAddress,
 * int, DatagramHandler, ListenOption...) UDP}.
 *
 * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="listen-options"}
 */
public enum ListenOption {
    /**
     * SO_REUSEPORT: share the port. Several sockets, of this process or others, may listen
     * on it (or, for UDP, be bound to it) if each sets it, and the kernel spreads new
     * connections (or senders) among them; only sockets of the same user may. Without it,
     * {@link EventLoop#listen} and {@link EventLoop#bindUdp} fail with EADDRINUSE where
     * another socket listens, and so do an {@link EventLoopGroup}'s. Note that a group of
     * several loops shares its port among them with SO_REUSEPORT, so a later socket that
     * sets it (this option, in any server of the same user) is let in beside them.
     */
    REUSE_PORT,
    /**
     * A Unix socket's file: if a socket file is at the path already (one that a process
     * that ended left behind), remove it first. Without it, such a file fails the listen
     * with EADDRINUSE. A file that is not a socket is never removed.
     */
    REPLACE_SOCKET_FILE
}
