// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.net.Socket;

/**
 * A child JVM's main, for tests that need JVM options of their own (a flight recording
 * started with the JVM): echoes 64-byte round trips through a loop of its own, and prints
 * {@code bytes per round trip: N}, what the loop thread allocated per trip once warm.
 */
final class EchoAllocationProbe {
    private EchoAllocationProbe() {}

    public static void main(String[] args) throws Exception {
        try (LoopThread loop = LoopThread.serve((connection, data) -> connection.write(data));
             Socket client = EchoClient.connect(loop.address())) {
            System.out.println("bytes per round trip: " + loop.bytesPerRoundTrip(client));
        }
    }
}
