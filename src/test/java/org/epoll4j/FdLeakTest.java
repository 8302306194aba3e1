// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.Socket;
import java.util.Map;
import org.epoll4j.testing.OpenFds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Connections that come and go leave no fd behind in the server's process (this JVM). */
class FdLeakTest {
    private static final int CYCLES = 2_000;

    @Test
    @Timeout(120)
    void twoThousandConnectEchoCloseCyclesLeaveTheFdCountAsItWas() throws Exception {
        Echo echo = new Echo();
        try (LoopThread server = LoopThread.serve(echo)) {
            cycle(server); // the JDK opens what it opens lazily for sockets before the count
            Eventually.until("the warm-up connection closes", () -> echo.closes.size() == 1);
            Map<Integer, String> fdsBefore = OpenFds.snapshot();

            for (int i = 0; i < CYCLES; i++) {
                cycle(server);
            }
            Eventually.until("the server closes all " + CYCLES + " connections",
                    () -> echo.closes.size() == 1 + CYCLES);

            // Guards a flaky count: another test's process pipes, closed by the JDK meanwhile,
            // once made the count go down by one.
            assertEquals(Map.of(), OpenFds.openedSince(fdsBefore), "fds opened and still open after " + CYCLES
                    + " cycles");
            assertEquals(1 + CYCLES, echo.opened.get());
            assertEquals(0, echo.closes.stream().filter(c -> c.cause() != null).count(),
                    "connections that closed with an error: " + echo.closes.stream()
                            .filter(c -> c.cause() != null).limit(3).toList());
        }
    }

    private static void cycle(LoopThread server) throws Exception {
        try (Socket client = EchoClient.connect(server.address())) {
            EchoClient.assertEchoes(client, "cycle");
        }
    }
}
