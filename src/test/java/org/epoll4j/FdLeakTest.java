// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.Socket;
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
            long fdsBefore = OpenFds.count();

            for (int i = 0; i < CYCLES; i++) {
                cycle(server);
            }
            Eventually.until("the server closes all " + CYCLES + " connections",
                    () -> echo.closes.size() == 1 + CYCLES);

            assertEquals(fdsBefore, OpenFds.count(), "open fds after " + CYCLES + " cycles");
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
