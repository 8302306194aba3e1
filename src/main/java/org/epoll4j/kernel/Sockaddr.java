package org.epoll4j.kernel;

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
import org.epoll4j.ffi.sockaddr_in6;
import org.epoll4j.ffi.sockaddr_in;
import org.epoll4j.ffi.sockaddr_storage;

/**
 * Converts between {@link InetSocketAddress} and {@code struct sockaddr_in} /
 * {@code sockaddr_in6}, in a {@code sockaddr_storage}-sized segment; and packs an IPv4
 * address and port into a {@code long}, so that an accepted connection can keep its
 * peer's address without an object.
 */
public final class Sockaddr {
    /** Bytes to allocate for any address: {@code sizeof(struct sockaddr_storage)}. */
    static final long STORAGE_SIZE = sockaddr_storage.layout().byteSize();

    /* A packed address: 1 in bit 48 (so that 0 means none), the address in bits 16..47, the port below. */
    private static final long PACKED = 1L << 48;
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
    static int write(InetSocketAddress address, MemorySegment storage) {
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
    static int family(InetSocketAddress address) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address: " + address);
        }
        return address.getAddress() instanceof Inet4Address ? Libc.AF_INET() : Libc.AF_INET6();
    }

    /** The IPv4 address and port in {@code storage}, packed; 0 if it holds another family. */
    static long packIPv4(MemorySegment storage) {
        if (storage.get(JAVA_SHORT, FAMILY) != Libc.AF_INET()) {
            return 0;
        }
        long ip = Integer.toUnsignedLong(storage.get(JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN),
                sockaddr_in.sin_addr$offset()));
        return PACKED | ip << 16 | Short.toUnsignedInt(storage.get(PORT, sockaddr_in.sin_port$offset()));
    }

    /** The address that {@link Syscalls#acceptedPeerIPv4()} packed. */
    public static InetSocketAddress unpackIPv4(long packed) {
        if ((packed & PACKED) == 0) {
            throw new IllegalArgumentException("not a packed IPv4 address: " + Long.toHexString(packed));
        }
        int ip = (int) (packed >>> 16);
        byte[] bytes = {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
        return address(bytes, (int) (packed & 0xFFFF));
    }

    /** Reads the address that the kernel wrote to {@code storage}. */
    static InetSocketAddress read(MemorySegment storage) {
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
        return address(bytes, port);
    }

    private static InetSocketAddress address(byte[] bytes, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 address bytes are always valid", e);
        }
    }
}
