// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

/**
 * Who is at the other end of a Unix domain socket: the process that connected, with its
 * user and group at that time, as the kernel vouches for them (SO_PEERCRED, see
 * <a href="https://man7.org/linux/man-pages/man7/unix.7.html">unix(7)</a>), from
 * {@link Connection#peerCredentials()}.
 *
 * {@snippet class="org.epoll4j.snippets.EventLoopSnippets" region="unix-socket"}
 *
 * @param pid the peer's process id
 * @param uid its effective user id
 * @param gid its effective group id
 */
public record PeerCredentials(int pid, int uid, int gid) {}
