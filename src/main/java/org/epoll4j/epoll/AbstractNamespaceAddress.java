// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.epoll;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The address of a Unix domain socket in Linux's abstract namespace: a name, not a file.
 * No file is made, and the name is freed when the last socket bound to it closes. The
 * JDK's {@link java.net.UnixDomainSocketAddress} names a file instead. See
 * <a href="https://man7.org/linux/man-pages/man7/unix.7.html">unix(7)</a>.
 *
 * {@snippet class="org.epoll4j.snippets.EpollSnippets" region="abstract-address"}
 */
public final class AbstractNamespaceAddress extends SocketAddress {
    private static final long serialVersionUID = 1L;
    /** sun_path holds 108 bytes; the first is the 0 that marks the abstract namespace. */
    public static final int MAX_NAME_BYTES = 107;

    /** The name, without the leading 0 byte. */
    private final String name;

    private AbstractNamespaceAddress(String name) {
        this.name = name;
    }

    /**
     * The address {@code name} in the abstract namespace.
     *
     * @param name the name, without the leading 0 byte
     * @return the address
     * @throws IllegalArgumentException if name is longer than {@value #MAX_NAME_BYTES} bytes in UTF-8
     */
    public static AbstractNamespaceAddress of(String name) {
        Objects.requireNonNull(name, "name");
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("an abstract name holds at most " + MAX_NAME_BYTES
                    + " bytes: " + bytes + " in " + name);
        }
        return new AbstractNamespaceAddress(name);
    }

    /**
     * The name.
     *
     * @return the name, without the leading 0 byte
     */
    public String name() {
        return name;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AbstractNamespaceAddress address && address.name.equals(name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    /** The name after {@code @}, as {@code ss} and {@code netstat} print it. */
    @Override
    public String toString() {
        return "@" + name;
    }
}
