// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.io.IOException;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import org.epoll4j.Connection;
import org.epoll4j.Server;
import org.epoll4j.loop.LoopEvents;

/**
 * The stream transport's JDK Flight Recorder events, in category {@code epoll4j}: emitted
 * only while {@link LoopEvents#recording()}.
 */
final class StreamEvents {
    private StreamEvents() {}

    @Name("epoll4j.ConnectionOpened")
    @Label("Connection Opened")
    @Category(LoopEvents.CATEGORY)
    @StackTrace(false)
    static final class ConnectionOpened extends Event {
        @Label("Connection")
        String connection;
    }

    @Name("epoll4j.ConnectionClosed")
    @Label("Connection Closed")
    @Category(LoopEvents.CATEGORY)
    @StackTrace(false)
    static final class ConnectionClosed extends Event {
        @Label("Connection")
        String connection;

        @Label("Cause")
        @Description("Why it closed: null for a close asked for and completed, else the error")
        String cause;

        @Label("Reset")
        @Description("Whether it ended with a reset (RST) rather than FIN")
        boolean reset;
    }

    @Name("epoll4j.AcceptOutOfFds")
    @Label("Accept Out of File Descriptors")
    @Category(LoopEvents.CATEGORY)
    @Description("accept(2) failed for want of an fd (EMFILE, ENFILE): the server refused one pending connection"
            + " with its reserve fd, found none pending, or paused accepting")
    @StackTrace(false)
    static final class AcceptOutOfFds extends Event {
        @Label("Server")
        String server;

        @Label("Error")
        String errno;

        @Label("Refused")
        @Description("Whether a pending connection was accepted with the reserve fd and shut down")
        boolean refused;

        @Label("Paused")
        @Description("How long accepting pauses; 0 if it goes on")
        @Timespan
        long paused;
    }

    @Name("epoll4j.OutputAboveHighWater")
    @Label("Output Above High-Water Mark")
    @Category(LoopEvents.CATEGORY)
    @Description("A connection's queued output went above its high-water mark: it is not writable until it drains"
            + " below the low-water mark")
    @StackTrace(false)
    static final class OutputAboveHighWater extends Event {
        @Label("Connection")
        String connection;

        @Label("Queued")
        @DataAmount
        long queued;

        @Label("High-Water Mark")
        @DataAmount
        long highWaterMark;
    }

    // ------------------------------------------------------------ emitting them (recording only)

    static void connectionOpened(Connection connection) {
        ConnectionOpened event = new ConnectionOpened();
        if (event.shouldCommit()) {
            event.connection = connection.toString();
            event.commit();
        }
    }

    static void connectionClosed(Connection connection, IOException cause, boolean reset) {
        ConnectionClosed event = new ConnectionClosed();
        if (event.shouldCommit()) {
            event.connection = connection.toString();
            event.cause = cause == null ? null : cause.toString();
            event.reset = reset;
            event.commit();
        }
    }

    static void acceptOutOfFds(Object server, String errno, boolean refused, long pausedNanos) {
        AcceptOutOfFds event = new AcceptOutOfFds();
        if (event.shouldCommit()) {
            event.server = server.toString();
            event.errno = errno;
            event.refused = refused;
            event.paused = pausedNanos;
            event.commit();
        }
    }

    static void outputAboveHighWater(Connection connection, long queued, long highWaterMark) {
        OutputAboveHighWater event = new OutputAboveHighWater();
        if (event.shouldCommit()) {
            event.connection = connection.toString();
            event.queued = queued;
            event.highWaterMark = highWaterMark;
            event.commit();
        }
    }
}
