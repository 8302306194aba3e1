// SPDX-License-Identifier: Apache-2.0
/**
 * Any fd of the application's on the loop: {@link org.epoll4j.transport.watch.WatchedFd},
 * behind the API's {@link org.epoll4j.Watch}. The loop reports its readiness and never
 * closes it. Not exported.
 */
package org.epoll4j.transport.watch;
