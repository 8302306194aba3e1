// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The echo handler of examples.EchoServer (write; above the high-water mark pause
 * reading; resume once writable), counting what happens: a test fixture. The
 * counters are written on the loop thread and read from the test's.
 */
class Echo implements ConnectionHandler {
    /** How a connection closed: the cause its onClose got, or null. */
    record Closed(IOException cause) {}

    final AtomicInteger opened = new AtomicInteger();
    final AtomicInteger pauses = new AtomicInteger();
    final AtomicLong maxQueuedBytes = new AtomicLong();
    final BlockingQueue<Closed> closes = new LinkedBlockingQueue<>();

    @Override
    public void onOpen(Connection connection) {
        opened.incrementAndGet();
    }

    @Override
    public void onData(Connection connection, ByteBuffer data) {
        connection.write(data);
        maxQueuedBytes.accumulateAndGet(connection.queuedBytes(), Math::max);
        if (!connection.isWritable()) {
            connection.pauseReading();
            pauses.incrementAndGet();
        }
    }

    @Override
    public void onWritable(Connection connection) {
        connection.resumeReading();
    }

    @Override
    public void onClose(Connection connection, IOException cause) {
        closes.add(new Closed(cause));
    }
}
