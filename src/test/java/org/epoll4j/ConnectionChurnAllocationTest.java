// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.epoll4j.loop.LoopEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a short connection costs the loop thread's heap once the JIT has compiled its path:
 * accept, a 64-byte echo, the peer's close (the churn benchmark's pattern). The connection's
 * own object is the floor; anything per connection beyond it (a layout built per call, an
 * address object) shows.
 */
class ConnectionChurnAllocationTest {
    /** Client source addresses 127.0.0.2 and up, so TIME_WAIT never runs out of ports. */
    private static final int SOURCES = 40;

    @Test
    @Timeout(180)
    void aShortConnectionAllocatesOnlyItsOwnObjects() throws Exception {
        assertFalse(LoopEvents.recording(), "a recording runs in this JVM");
        try (LoopThread loop = LoopThread.serve((connection, data) -> connection.write(data))) {
            byte[] message = new byte[64];
            churn(loop.address(), message, 12_000); // warm: the JIT compiles accept and close
            long before = loop.allocatedBytes();
            int connections = churn(loop.address(), message, 3_000);
            Eventually.until("the loop closes every connection", () -> loop.loop().metrics().connections() == 0);
            long perConnection = (loop.allocatedBytes() - before) / connections;
            // About 120 bytes on x86_64, most of it the Connection (160 on the emulated riscv64
            // JDK). A byte-order layout built per accept (and its var handle looked up each time)
            // took it to 288; an InetSocketAddress per accept would add about 100.
            assertTrue(perConnection < 200, "bytes allocated per connection on the loop thread: " + perConnection);
        }
    }

    private static int churn(InetSocketAddress server, byte[] message, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            try (Socket client = new Socket()) {
                client.bind(new InetSocketAddress("127.0.0." + (2 + i % SOURCES), 0));
                client.connect(server, EchoClient.READ_TIMEOUT_MILLIS);
                client.setSoTimeout(EchoClient.READ_TIMEOUT_MILLIS);
                client.getOutputStream().write(message);
                assertEquals(message.length, client.getInputStream().readNBytes(message.length).length);
            }
        }
        return count;
    }
}
