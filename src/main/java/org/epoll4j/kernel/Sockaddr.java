// SPDX-License-Identifier: Apache-2.0
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
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.epoll4j.epoll.AbstractNamespaceAddress;
import org.epoll4j.ffi.Libc;
import org.epoll4j.ffi.sockaddr_in6;
import org.epoll4j.ffi.sockaddr_in;
import org.epoll4j.ffi.sockaddr_storage;
import org.epoll4j.ffi.sockaddr_un;

/**
 * Converts between socket addresses and {@code struct sockaddr_in}, {@code sockaddr_in6}
 * and {@code sockaddr_un}, in a {@code sockaddr_storage}-sized segment: an
 * {@link InetSocketAddress}, a {@link UnixDomainSocketAddress} (a file) or an
 * {@link AbstractNamespaceAddress}. It also packs an IPv4 address and port into a
 * {@code long}, so that an accepted connection can keep its peer's address without an object.
 */
public final class Sockaddr {
    /** Bytes to allocate for any address: {@code sizeof(struct sockaddr_storage)}. */
    static final long STORAGE_SIZE = sockaddr_storage.layout().byteSize();

    /* A packed address: 1 in bit 48 (so that 0 means none), the address in bits 16..47, the port below. */
    private static final long PACKED = 1L << 48;
    /* Network order. Constants: a layout made per call costs its var handle's lookup and allocations. */
    private static final ValueLayout.OfShort PORT = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt IPV4 = JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long FAMILY = sockaddr_in.sin_family$offset();
    private static final int IN_SIZE = (int) sockaddr_in.layout().byteSize();
    private static final int IN6_SIZE = (int) sockaddr_in6.layout().byteSize();
    private static final long SUN_PATH = sockaddr_un.sun_path$offset();
    private static final int SUN_PATH_SIZE = (int) sockaddr_un.sun_path$layout().byteSize();
    /** How the JDK turns paths into bytes for the file system. */
    private static final Charset PATHS = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
    private static final UnixDomainSocketAddress UNNAMED = UnixDomainSocketAddress.of("");

    private Sockaddr() {}

    /**
     * Writes {@code address} to {@code storage}; returns its length.
     *
     * @throws IllegalArgumentException if the address is unresolved, of no family the
     *     library serves, or a path too long for {@code sun_path}
     */
    static int write(SocketAddress address, MemorySegment storage) {
        storage.fill((byte) 0);
        return switch (address) {
            case InetSocketAddress inet -> writeInet(inet, storage);
            case UnixDomainSocketAddress unix -> writeUnix(unixPath(unix.getPath()), false, storage);
            case AbstractNamespaceAddress name -> writeUnix(name.name().getBytes(StandardCharsets.UTF_8), true, storage);
            default -> throw new IllegalArgumentException("not an IP, Unix or abstract address: " + address);
        };
    }

    private static int writeInet(InetSocketAddress address, MemorySegment storage) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address: " + address);
        }
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

    /** A file's path as sun_path takes it: its bytes, which must leave room for a closing 0. */
    static byte[] unixPath(Path path) {
        byte[] bytes = path.toString().getBytes(PATHS);
        if (bytes.length == 0 || bytes.length >= SUN_PATH_SIZE) {
            throw new IllegalArgumentException("a Unix socket's path takes 1 to " + (SUN_PATH_SIZE - 1)
                    + " bytes: " + bytes.length + " in " + path);
        }
        return bytes;
    }

    /** sun_family, then the path and its 0 (a file), or a 0 and the name (abstract). */
    private static int writeUnix(byte[] bytes, boolean abstractName, MemorySegment storage) {
        storage.set(JAVA_SHORT, FAMILY, (short) Libc.AF_UNIX());
        long at = SUN_PATH + (abstractName ? 1 : 0);
        MemorySegment.copy(bytes, 0, storage, JAVA_BYTE, at, bytes.length);
        return (int) (at + bytes.length + (abstractName ? 0 : 1));
    }

    /** The address family of {@code address}: AF_INET, AF_INET6 or AF_UNIX. */
    static int family(SocketAddress address) {
        return switch (address) {
            case InetSocketAddress inet when inet.isUnresolved() ->
                    throw new IllegalArgumentException("unresolved address: " + inet);
            case InetSocketAddress inet -> inet.getAddress() instanceof Inet4Address ? Libc.AF_INET() : Libc.AF_INET6();
            case UnixDomainSocketAddress unix -> Libc.AF_UNIX();
            case AbstractNamespaceAddress name -> Libc.AF_UNIX();
            default -> throw new IllegalArgumentException("not an IP, Unix or abstract address: " + address);
        };
    }

    /** The IPv4 address and port in {@code storage}, packed; 0 if it holds another family. */
    static long packIPv4(MemorySegment storage) {
        if (storage.get(JAVA_SHORT, FAMILY) != Libc.AF_INET()) {
            return 0;
        }
        long ip = Integer.toUnsignedLong(storage.get(IPV4, sockaddr_in.sin_addr$offset()));
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

    /** Reads the address, {@code length} bytes long, that the kernel wrote to {@code storage}. */
    static SocketAddress read(MemorySegment storage, int length) {
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
        } else if (family == Libc.AF_UNIX()) {
            return readUnix(storage, length);
        } else {
            throw new IllegalStateException("not an IP or Unix socket address: family " + family);
        }
        return address(bytes, port);
    }

    /** An unnamed socket (no path: a client's, most often), a file, or an abstract name. */
    private static SocketAddress readUnix(MemorySegment storage, int length) {
        int pathLength = (int) Math.min(length - SUN_PATH, SUN_PATH_SIZE);
        if (pathLength <= 0) {
            return UNNAMED;
        }
        byte[] bytes = new byte[pathLength];
        MemorySegment.copy(storage, JAVA_BYTE, SUN_PATH, bytes, 0, pathLength);
        if (bytes[0] == 0) {
            return AbstractNamespaceAddress.of(new String(bytes, 1, pathLength - 1, StandardCharsets.UTF_8));
        }
        int end = 0;
        while (end < pathLength && bytes[end] != 0) {
            end++;
        }
        return UnixDomainSocketAddress.of(new String(bytes, 0, end, PATHS));
    }

    private static InetSocketAddress address(byte[] bytes, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 address bytes are always valid", e);
        }
    }
}
