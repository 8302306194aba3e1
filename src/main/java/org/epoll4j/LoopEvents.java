// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.io.IOException;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.Timespan;

/**
 * The loop's JDK Flight Recorder events, in category {@code epoll4j}, and whether a
 * recording runs. While none runs, the loop makes no event object and reads no clock for
 * them: each place that could emit one reads one volatile flag, kept by a
 * {@link FlightRecorderListener}.
 */
final class LoopEvents {
    private static final String CATEGORY = "epoll4j";
    private static volatile boolean recording;

    static {
        FlightRecorder.addListener(new FlightRecorderListener() {
            @Override
            public void recorderInitialized(FlightRecorder recorder) {
                update(recorder);
            }

            @Override
            public void recordingStateChanged(Recording changed) {
                update(FlightRecorder.getFlightRecorder());
            }
        });
    }

    private LoopEvents() {}

    private static void update(FlightRecorder recorder) {
        boolean running = false;
        for (Recording r : recorder.getRecordings()) {
            running |= r.getState() == RecordingState.RUNNING;
        }
        recording = running;
    }

    /** Whether a flight recording runs: events may be wanted. Any thread. */
    static boolean recording() {
        return recording;
    }

    // ------------------------------------------------------------ the events

    @Name("epoll4j.LongTurn")
    @Label("Long Loop Turn")
    @Category(CATEGORY)
    @Description("A turn of an event loop whose work (after epoll_wait returned) took longer than the threshold:"
            + " the loop served nothing else meanwhile")
    @Threshold("20 ms")
    @StackTrace(false)
    static final class LongTurn extends Event {
        @Label("Wait Time")
        @Description("How long epoll_wait blocked before the turn; 0 if it did not block")
        @Timespan
        long waitTime;

        @Label("Events")
        @Description("Ready fds handled in the turn")
        int events;

        @Label("Tasks Run")
        @Description("Tasks and timers run in the turn")
        long tasksRun;
    }

    @Name("epoll4j.SlowHandler")
    @Label("Slow Handler")
    @Category(CATEGORY)
    @Description("A handler call that kept the loop from its other connections for longer than the threshold")
    @Threshold("10 ms")
    @StackTrace(false)
    static final class SlowHandler extends Event {
        @Label("Handler")
        Class<?> handler;

        @Label("Method")
        String method;

        @Label("Source")
        @Description("The connection, watch or UDP endpoint the call was about")
        String source;
    }

    @Name("epoll4j.ConnectionOpened")
    @Label("Connection Opened")
    @Category(CATEGORY)
    @StackTrace(false)
    static final class ConnectionOpened extends Event {
        @Label("Connection")
        String connection;
    }

    @Name("epoll4j.ConnectionClosed")
    @Label("Connection Closed")
    @Category(CATEGORY)
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
    @Category(CATEGORY)
    @Description("accept(2) failed for want of an fd (EMFILE, ENFILE): the server refused one pending connection"
            + " with its reserve fd, or paused accepting")
    @StackTrace(false)
    static final class AcceptOutOfFds extends Event {
        @Label("Server")
        String server;

        @Label("Error")
        String errno;

        @Label("Paused")
        @Description("How long accepting pauses; 0 if a pending connection was refused instead")
        @Timespan
        long paused;
    }

    @Name("epoll4j.OutputAboveHighWater")
    @Label("Output Above High-Water Mark")
    @Category(CATEGORY)
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

    /** Begins timing a handler call; null unless recording. */
    static SlowHandler handlerBegins() {
        if (!recording) {
            return null;
        }
        SlowHandler event = new SlowHandler();
        event.begin();
        return event;
    }

    /** Ends the timing {@link #handlerBegins} began, if it did: the event is committed if it took long. */
    static void handlerEnds(SlowHandler event, Object handler, String method, Object source) {
        if (event == null) {
            return;
        }
        event.end();
        if (event.shouldCommit()) {
            event.handler = handler.getClass();
            event.method = method;
            event.source = source.toString();
            event.commit();
        }
    }

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

    static void acceptOutOfFds(Object server, String errno, long pausedNanos) {
        AcceptOutOfFds event = new AcceptOutOfFds();
        if (event.shouldCommit()) {
            event.server = server.toString();
            event.errno = errno;
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
