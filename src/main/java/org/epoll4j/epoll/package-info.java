// SPDX-License-Identifier: Apache-2.0
/**
 * epoll itself: an {@link org.epoll4j.epoll.Epoll} set, the
 * {@link org.epoll4j.epoll.EpollEvents} array its waits fill, and the
 * {@link org.epoll4j.epoll.ErrnoException} of a failed system call (see
 * <a href="https://man7.org/linux/man-pages/man7/epoll.7.html">epoll(7)</a>); and the
 * {@link org.epoll4j.epoll.AbstractNamespaceAddress} of a Unix domain socket named in
 * Linux's abstract namespace.
 */
package org.epoll4j.epoll;
