// SPDX-License-Identifier: Apache-2.0
/**
 * The loop: one thread's epoll set, turn by turn ({@link org.epoll4j.loop.Dispatcher}), the
 * registry of its sources with their generations, its tasks, timers, counters, life cycle
 * and native memory. {@link org.epoll4j.loop.Loop} is the engine behind
 * {@link org.epoll4j.EventLoop}.
 *
 * <p>The loop knows a transport only as a {@link org.epoll4j.loop.Source}: an fd and what
 * its readiness does. A transport is a package of {@code org.epoll4j.transport}; its API
 * types in {@code org.epoll4j} are final subclasses of its classes. Not exported: public
 * here means public to the library's packages.
 */
package org.epoll4j.loop;
