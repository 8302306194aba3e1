package org.epoll4j.internal;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import org.epoll4j.ffi.Libc;
import org.epoll4j.ffi.sockaddr_in;
import org.epoll4j.ffi.sockaddr_in6;
import org.epoll4j.ffi.sockaddr_storage;

/**
 * Converts between {@link InetSocketAddress} and {@code struct sockaddr_in} /
 * {@code sockaddr_in6}, in a {@code sockaddr_storage}-sized segment.
 */
public final class Sockaddr {
    /** Bytes to allocate for any address: {@code sizeof(struct sockaddr_storage)}. */
    public static final long STORAGE_SIZE = sockaddr_storage.layout().byteSize();

    private static final ValueLayout.OfShort PORT = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long FAMILY = sockaddr_in.sin_family$offset();
    private static final int IN_SIZE = (int) sockaddr_in.layout().byteSize();
    private static final int IN6_SIZE = (int) sockaddr_in6.layout().byteSize();

    private Sockaddr() {}

    /**
     * Writes {@code address} to {@code storage}; returns its length.
     *
     * @throws IllegalArgumentException if the address is unresolved
     */
    public static int write(InetSocketAddress address, MemorySegment storage) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address: " + address);
        }
        storage.fill((byte) 0);
        InetAddress ip = address.getAddress();
        byte[] bytes = ip.getAddress();
        if (ip instanceof Inet4Address) {
            storage.set(JAVA_SHORT, FAMILY, (short) Libc.AF_INET());
            storage.set(PORT, sockaddr_in.sin_port$offset(), (short) address.getPort());
            MemorySegment.copy(bytes, 0, storage, JAVA_BYTE, sockaddr_in.sin_addr$offset(), bytes.length);
            return IN_SIZE;
        }
        storage.set(JAVA_SHORT, FAMILY, (short) Libc.AF_INET6());
        storage.set(PORT, sockaddr_in6.sin6_port$offset(), (short) address.getPort());
        MemorySegment.copy(bytes, 0, storage, JAVA_BYTE, sockaddr_in6.sin6_addr$offset(), bytes.length);
        storage.set(JAVA_INT, sockaddr_in6.sin6_scope_id$offset(), ((Inet6Address) ip).getScopeId());
        return IN6_SIZE;
    }

    /** The address family of {@code address}: AF_INET or AF_INET6. */
    public static int family(InetSocketAddress address) {
        return address.getAddress() instanceof Inet4Address ? Libc.AF_INET() : Libc.AF_INET6();
    }

    /** Reads the address that the kernel wrote to {@code storage}. */
    public static InetSocketAddress read(MemorySegment storage) {
        int family = storage.get(JAVA_SHORT, FAMILY);
        byte[] bytes;
        int port;
        if (family == Libc.AF_INET()) {
            bytes = new byte[4];
            MemorySegment.copy(storage, JAVA_BYTE, sockaddr_in.sin_addr$offset(), bytes, 0, 4);
            port = Short.toUnsignedInt(storage.get(PORT, sockaddr_in.sin_port$offset()));
        } else if (family == Libc.AF_INET6()) {
            bytes = new byte[16];
            MemorySegment.copy(storage, JAVA_BYTE, sockaddr_in6.sin6_addr$offset(), bytes, 0, 16);
            port = Short.toUnsignedInt(storage.get(PORT, sockaddr_in6.sin6_port$offset()));
        } else {
            throw new IllegalStateException("not an IP socket address: family " + family);
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 address bytes are always valid", e);
        }
    }
}
