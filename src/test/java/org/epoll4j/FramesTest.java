// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Frames: where a frame ends, in every kind of buffer a handler may hold (the loop's
 * segment-backed view, direct, heap, read-only) and in either byte order, which the
 * delimiter search reads eight bytes at a time.
 */
class FramesTest {
    private static final byte[] CRLF = ascii("\r\n");
    private static final byte[] END_OF_HEAD = ascii("\r\n\r\n");

    @Test
    void aDelimiterIsFoundAtEveryOffsetAcrossTheWordsInEveryBufferAndOrder() {
        try (Arena arena = Arena.ofConfined()) {
            for (Function<byte[], ByteBuffer> kind : kinds(arena)) {
                for (ByteOrder order : List.of(ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN)) {
                    for (int at = 0; at <= 40 - END_OF_HEAD.length; at++) {
                        byte[] bytes = new byte[40];
                        Arrays.fill(bytes, (byte) 'x');
                        System.arraycopy(END_OF_HEAD, 0, bytes, at, END_OF_HEAD.length);
                        ByteBuffer data = kind.apply(bytes).order(order);
                        assertEquals(at + 4, Frames.delimited(data, END_OF_HEAD, 8192), "at " + at + ", " + order);
                    }
                }
            }
        }
    }

    @Test
    void theFirstOfTwoDelimitersEndsTheFrameWhicheverWordEachIsIn() {
        for (ByteOrder order : List.of(ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN)) {
            ByteBuffer data = ByteBuffer.wrap(ascii("ab\ncd\nefghijklmnop\n")).order(order);
            assertEquals(3, Frames.delimited(data, ascii("\n"), 100));
            data.position(3);
            assertEquals(6, Frames.delimited(data, ascii("\n"), 100));
            data.position(6);
            assertEquals(19, Frames.delimited(data, ascii("\n"), 100));
        }
    }

    @Test
    void bytesAboveSeventyFAndZeroBytesAreDelimitersLikeAnyOther() {
        byte[] bytes = new byte[32];
        bytes[13] = (byte) 0xff;
        bytes[14] = (byte) 0x80;
        assertEquals(15, Frames.delimited(ByteBuffer.wrap(bytes), new byte[] {(byte) 0xff, (byte) 0x80}, 100));
        assertEquals(1, Frames.delimited(ByteBuffer.wrap(bytes), new byte[] {0}, 100));
        bytes[0] = 1;
        assertEquals(2, Frames.delimited(ByteBuffer.wrap(bytes), new byte[] {0}, 100));
        assertEquals(Frames.INCOMPLETE, Frames.delimited(ByteBuffer.wrap(bytes), new byte[] {(byte) 0xfe}, 100));
    }

    @Test
    void aPartialDelimiterBeforeTheWholeOneIsPassedOver() {
        ByteBuffer data = ByteBuffer.wrap(ascii("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n\r\n"));
        assertEquals(data.limit(), Frames.delimited(data, END_OF_HEAD, 8192));
        assertEquals(ascii("GET / HTTP/1.1\r\n").length, Frames.delimited(data, CRLF, 8192));
    }

    @Test
    void theSearchStartsAtThePositionAndStopsAtTheLimit() {
        ByteBuffer data = ByteBuffer.wrap(ascii("\r\n0123456789abcdef\r\n\r\nzz"));
        data.position(2).limit(20);
        assertEquals(Frames.INCOMPLETE, Frames.delimited(data, END_OF_HEAD, 100),
                "the delimiter's end is past the limit");
        data.limit(22);
        assertEquals(22, Frames.delimited(data, END_OF_HEAD, 100));
        assertEquals(2, data.position(), "the position does not move");
    }

    @Test
    void aFrameLongerThanMaxFrameIsTooLongAsSoonAsThatIsCertain() {
        ByteBuffer data = ByteBuffer.wrap(ascii("0123456789\r\n"));
        assertEquals(12, Frames.delimited(data, CRLF, 12), "a frame of exactly maxFrame bytes");
        assertEquals(Frames.TOO_LONG, Frames.delimited(data, CRLF, 11));
        data.limit(11);
        assertEquals(Frames.TOO_LONG, Frames.delimited(data, CRLF, 11), "11 bytes and no end: too long already");
        assertEquals(Frames.INCOMPLETE, Frames.delimited(data, CRLF, 12));
        data.limit(0);
        assertEquals(Frames.INCOMPLETE, Frames.delimited(data, CRLF, 12));
    }

    @Test
    void everyDelimitedAnswerIsTheByteByByteSearchs() {
        Random random = new Random(19);
        // Each delimiter's first byte, that byte ^ 1 (which a borrowing zero-byte test takes for it in big-endian
        // order: found in review), and bytes with and without the high bit.
        byte[] alphabet = {'\r', '\n', 'a', 0, (byte) 0x80, (byte) 0xff, 0x0c, 0x0b, '`', (byte) 0xfe, 0x01, 0x7f};
        List<byte[]> delimiters = List.of(CRLF, END_OF_HEAD, ascii("\n"), ascii("aa"), new byte[] {(byte) 0xff, 0},
                new byte[] {0x01}, new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80});
        try (Arena arena = Arena.ofConfined()) {
            List<Function<byte[], ByteBuffer>> kinds = kinds(arena);
            for (int trial = 0; trial < 20_000; trial++) {
                int length = random.nextInt(70);
                byte[] bytes = new byte[length];
                boolean anyByte = trial % 4 == 0;
                for (int i = 0; i < length; i++) {
                    // Else fewer kinds of byte in some trials, so that delimiters and near-misses are frequent.
                    bytes[i] = anyByte ? (byte) random.nextInt(256)
                            : alphabet[random.nextInt(random.nextInt(alphabet.length) + 1)];
                }
                ByteBuffer whole = kinds.get(trial % kinds.size()).apply(bytes);
                // Index 0 of a slice is not its memory's first byte: the words it reads are not aligned alike.
                ByteBuffer data = length > 0 && random.nextBoolean() ? whole.slice(1, length - 1) : whole;
                data.order(random.nextBoolean() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
                int position = random.nextInt(data.limit() + 1);
                data.position(position).limit(position + random.nextInt(data.limit() - position + 1));
                byte[] delimiter = delimiters.get(random.nextInt(delimiters.size()));
                int maxFrame = random.nextInt(8) == 0 ? Integer.MAX_VALUE - random.nextInt(8)
                        : delimiter.length + random.nextInt(80);
                assertEquals(byteByByte(data, delimiter, maxFrame), Frames.delimited(data, delimiter, maxFrame),
                        () -> "trial in " + data + " for a delimiter of " + delimiter.length + ", maxFrame " + maxFrame);
            }
        }
    }

    @Test
    void aDelimiterThatCannotFitIsRefused() {
        ByteBuffer data = ByteBuffer.allocate(8);
        assertThrows(IllegalArgumentException.class, () -> Frames.delimited(data, new byte[0], 8));
        assertThrows(IllegalArgumentException.class, () -> Frames.delimited(data, END_OF_HEAD, 3));
    }

    @Test
    void aLengthPrefixedFrameEndsWhereItsLengthSays() {
        ByteBuffer data = ByteBuffer.wrap(new byte[] {9, 0, 3, 'a', 'b', 'c', 0, 0, 'z'});
        data.position(1);
        assertEquals(6, Frames.lengthPrefixed(data, 2, 100));
        data.position(6);
        assertEquals(8, Frames.lengthPrefixed(data, 2, 100), "an empty frame");
        data.position(8);
        assertEquals(Frames.INCOMPLETE, Frames.lengthPrefixed(data, 2, 100), "half a length field");
        data.position(1).limit(5);
        assertEquals(Frames.INCOMPLETE, Frames.lengthPrefixed(data, 2, 100), "the length says more than is here");
        assertEquals(Frames.TOO_LONG, Frames.lengthPrefixed(data, 2, 4), "2 + 3 bytes is over 4");
    }

    @Test
    void aLengthFieldIsUnsignedAndBigEndianWhateverTheBuffersOrder() {
        ByteBuffer data = ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff})
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(Frames.TOO_LONG, Frames.lengthPrefixed(data, 4, Integer.MAX_VALUE), "4 GiB + 3 bytes");
        ByteBuffer three = ByteBuffer.allocate(3 + 0x010203).put(0, new byte[] {1, 2, 3});
        assertEquals(3 + 0x010203, Frames.lengthPrefixed(three, 3, Integer.MAX_VALUE));
    }

    @Test
    void aLengthFieldOfNoneOrOverFourBytesIsRefused() {
        ByteBuffer data = ByteBuffer.allocate(8);
        assertThrows(IllegalArgumentException.class, () -> Frames.lengthPrefixed(data, 0, 8));
        assertThrows(IllegalArgumentException.class, () -> Frames.lengthPrefixed(data, 5, 8));
        assertThrows(IllegalArgumentException.class, () -> Frames.lengthPrefixed(data, 2, 0));
    }

    /**
     * The buffers a handler may search, each holding a copy of the bytes it is given: the
     * loop's kind (a segment's view), direct, heap, and read-only ones of both.
     */
    private static List<Function<byte[], ByteBuffer>> kinds(Arena arena) {
        return List.of(
                bytes -> arena.allocate(Math.max(bytes.length, 1)).asByteBuffer().put(bytes).flip(),
                bytes -> ByteBuffer.allocateDirect(bytes.length).put(bytes).flip(),
                ByteBuffer::wrap,
                bytes -> ByteBuffer.wrap(bytes).asReadOnlyBuffer(),
                bytes -> ByteBuffer.allocateDirect(bytes.length).put(bytes).flip().asReadOnlyBuffer());
    }

    /** Frames.delimited as it was first written: one byte at a time. */
    private static int byteByByte(ByteBuffer data, byte[] delimiter, int maxFrame) {
        int start = data.position();
        int end = (int) Math.min(data.limit(), (long) start + maxFrame);
        search:
        for (int i = start; i <= end - delimiter.length; i++) {
            for (int j = 0; j < delimiter.length; j++) {
                if (data.get(i + j) != delimiter[j]) {
                    continue search;
                }
            }
            return i + delimiter.length;
        }
        return data.limit() - start >= maxFrame ? Frames.TOO_LONG : Frames.INCOMPLETE;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
