// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The datagram buffers' layout: the kernel copies into and out of them on every
 * recvmmsg and sendmmsg, and its copies cost more into misaligned memory (the UDP echo at
 * 1,200 B cost about 1.15x C's CPU with buffers where malloc put them, about 1.02x on a
 * page; see bench/RESULTS.md).
 */
class MessageBatchTest {
    @ParameterizedTest
    @ValueSource(ints = {1, 100, 1200, 2048, 65_535})
    void buffersStartOnAPageAndEachOnACacheLineWithoutOverlapping(int slotSize) {
        try (Arena arena = Arena.ofConfined()) {
            MessageBatch batch = new MessageBatch(arena, 32, slotSize);
            assertEquals(0, batch.buffer(0).address() % 4096, "the first buffer starts on a page");
            for (int i = 0; i < 32; i++) {
                MemorySegment buffer = batch.buffer(i);
                assertEquals(slotSize, buffer.byteSize());
                assertEquals(0, buffer.address() % 64, "buffer " + i + " starts on a cache line");
                if (i > 0) {
                    MemorySegment previous = batch.buffer(i - 1);
                    assertTrue(buffer.address() >= previous.address() + slotSize, "buffer " + i + " overlaps");
                }
            }
        }
    }
}
