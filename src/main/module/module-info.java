// SPDX-License-Identifier: Apache-2.0
/**
 * Linux epoll for JDK 22+ through the Foreign Function and Memory API.
 *
 * <p>Two packages are exported: {@code org.epoll4j}, the event loop and its connections,
 * and {@code org.epoll4j.epoll}, epoll itself. The loop ({@code org.epoll4j.loop}), the
 * transports ({@code org.epoll4j.transport.*}), the kernel interface
 * ({@code org.epoll4j.kernel}) and the generated bindings ({@code org.epoll4j.ffi}) stay
 * inside the module.
 */
module org.epoll4j {
    // The loop's flight recorder events (category epoll4j).
    requires jdk.jfr;

    exports org.epoll4j;
    exports org.epoll4j.epoll;
}
