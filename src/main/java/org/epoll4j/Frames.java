// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The two framings that most protocols use, read in the {@code data} a handler is given:
 * frames that end with a delimiter (a line, an HTTP head), and frames that start with
 * their length. Each method says where the first whole frame from {@code data}'s position
 * ends, without moving it and without allocating: the handler takes that frame, moves the
 * position past it and looks for the next; with {@link Connection#keepUnread} the start
 * of a frame that the read cut comes back with its rest.
 *
 * {@snippet class="org.epoll4j.snippets.ProtocolSnippets" region="framing"}
 *
 * <p>Notes: a frame longer than {@code maxFrame} is {@link #TOO_LONG} as soon as that is
 * certain, so that a handler can refuse it without waiting for the rest.
 */
public final class Frames {
    /** No whole frame yet: the rest of it is still to come. */
    public static final int INCOMPLETE = -1;
    /** The frame is longer than the handler takes. */
    public static final int TOO_LONG = -2;

    private Frames() {}

    /**
     * Where the first frame from {@code data}'s position that ends with {@code delimiter}
     * ends, the delimiter included.
     *
     * @param data the bytes, from their position to their limit
     * @param delimiter the bytes that end a frame, such as {@code "\r\n"}
     * @param maxFrame the longest frame, its delimiter included
     * @return the index just past the delimiter; {@link #INCOMPLETE} if {@code data} holds
     *     none yet and no more than {@code maxFrame} bytes; else {@link #TOO_LONG}
     * @throws IllegalArgumentException if the delimiter is empty or maxFrame is shorter than it
     */
    public static int delimited(ByteBuffer data, byte[] delimiter, int maxFrame) {
        if (delimiter.length == 0 || maxFrame < delimiter.length) {
            throw new IllegalArgumentException("need a delimiter of 1 to maxFrame bytes: " + delimiter.length
                    + " bytes, maxFrame " + maxFrame);
        }
        int start = data.position();
        int end = (int) Math.min(data.limit(), (long) start + maxFrame);
        int lastStart = end - delimiter.length;
        if (lastStart < start) { // no room for the delimiter (and no index arithmetic near overflow below)
            return data.limit() - start >= maxFrame ? TOO_LONG : INCOMPLETE;
        }
        for (int at = indexOf(data, delimiter[0], start, lastStart + 1); at >= 0;
                at = indexOf(data, delimiter[0], at + 1, lastStart + 1)) {
            if (matches(data, at, delimiter)) {
                return at + delimiter.length;
            }
        }
        return data.limit() - start >= maxFrame ? TOO_LONG : INCOMPLETE;
    }

    /**
     * The first index from {@code from} (included) to {@code to} (excluded) that holds
     * {@code b}, or -1. It reads eight bytes at a time, in whichever order {@code data} has:
     * a buffer lent by the loop checks its memory is still open on each access, so one
     * access per byte would cost that check eight times over.
     */
    private static int indexOf(ByteBuffer data, byte b, int from, int to) {
        long pattern = (b & 0xffL) * 0x0101010101010101L;
        boolean bigEndian = data.order() == ByteOrder.BIG_ENDIAN;
        int i = from;
        for (; i <= to - Long.BYTES; i += Long.BYTES) {
            long x = data.getLong(i) ^ pattern; // a zero byte where b is
            // 0x80 in each zero byte of x and 0 in every other: exact, no borrow from byte to byte.
            long zeros = ~((x & 0x7f7f7f7f7f7f7f7fL) + 0x7f7f7f7f7f7f7f7fL | x | 0x7f7f7f7f7f7f7f7fL);
            if (zeros != 0) {
                int bit = bigEndian ? Long.numberOfLeadingZeros(zeros) : Long.numberOfTrailingZeros(zeros);
                return i + bit / Byte.SIZE;
            }
        }
        for (; i < to; i++) {
            if (data.get(i) == b) {
                return i;
            }
        }
        return -1;
    }

    private static boolean matches(ByteBuffer data, int at, byte[] delimiter) {
        for (int j = 1; j < delimiter.length; j++) {
            if (data.get(at + j) != delimiter[j]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Where the first frame from {@code data}'s position ends, a frame that starts with its
     * length: an unsigned big-endian integer of {@code lengthBytes} bytes that counts the
     * bytes after it.
     *
     * @param data the bytes, from their position to their limit
     * @param lengthBytes the size of the length field: 1, 2, 3 or 4
     * @param maxFrame the longest frame, its length field included
     * @return the index just past the frame; {@link #INCOMPLETE} if not all of it is here
     *     yet; {@link #TOO_LONG} if its length field says more than {@code maxFrame}
     * @throws IllegalArgumentException if lengthBytes is not 1 to 4, or maxFrame not positive
     */
    public static int lengthPrefixed(ByteBuffer data, int lengthBytes, int maxFrame) {
        if (lengthBytes < 1 || lengthBytes > 4 || maxFrame <= 0) {
            throw new IllegalArgumentException("need 1 to 4 length bytes and a positive maxFrame: " + lengthBytes
                    + ", " + maxFrame);
        }
        int start = data.position();
        if (data.limit() - start < lengthBytes) {
            return INCOMPLETE;
        }
        long length = 0;
        for (int i = 0; i < lengthBytes; i++) {
            length = length << 8 | (data.get(start + i) & 0xff);
        }
        long frame = lengthBytes + length;
        if (frame > maxFrame) {
            return TOO_LONG;
        }
        return data.limit() - start < frame ? INCOMPLETE : start + (int) frame;
    }
}
