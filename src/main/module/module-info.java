/**
 * Linux epoll for JDK 22+ through the Foreign Function and Memory API.
 *
 * <p>Only {@code org.epoll4j} is exported: the generated bindings ({@code org.epoll4j.ffi})
 * and the syscall wrappers ({@code org.epoll4j.internal}) stay inside the module.
 */
module org.epoll4j {
    // sun.misc.Signal, for the example echo server's SIGINT/SIGTERM handling only.
    requires jdk.unsupported;

    exports org.epoll4j;
}
