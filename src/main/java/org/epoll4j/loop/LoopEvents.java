// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.EventType;
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
 * recording runs (the transports' events use it too). While none runs, the loop makes no
 * event object and reads no clock for them: each place that could emit one reads one
 * volatile flag, kept by a {@link FlightRecorderListener}.
 */
public final class LoopEvents {
    /** The category of epoll4j's events, the transports' included. */
    public static final String CATEGORY = "epoll4j";
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

    /* The two events made per turn and per handler call, looked up once a recording runs: looking them up initializes the recorder. */
    private static volatile EventType slowHandler;
    private static volatile EventType longTurn;

    private LoopEvents() {}

    private static void update(FlightRecorder recorder) {
        boolean running = false;
        for (Recording r : recorder.getRecordings()) {
            running |= r.getState() == RecordingState.RUNNING;
        }
        if (running && slowHandler == null) {
            slowHandler = EventType.getEventType(SlowHandler.class);
            longTurn = EventType.getEventType(LongTurn.class);
        }
        recording = running;
    }

    /**
     * Whether the loop's per-turn event is wanted: a recording runs and has it enabled. Any
     * thread. (Each event is an object made per turn or per handler call: a recording of
     * other events must not make the loop allocate.)
     */
    static boolean timingTurns() {
        return recording && longTurn.isEnabled();
    }

    /** Whether a flight recording runs: events may be wanted. Any thread. */
    public static boolean recording() {
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
    public static final class SlowHandler extends Event {
        @Label("Handler")
        Class<?> handler;

        @Label("Method")
        String method;

        @Label("Source")
        @Description("The connection, watch or UDP endpoint the call was about")
        String source;
    }

    // ------------------------------------------------------------ emitting them (recording only)

    /** Begins timing a handler call; null unless a recording has the event enabled. */
    public static SlowHandler handlerBegins() {
        if (!recording || !slowHandler.isEnabled()) {
            return null;
        }
        SlowHandler event = new SlowHandler();
        event.begin();
        return event;
    }

    /** Ends the timing {@link #handlerBegins} began, if it did: the event is committed if it took long. */
    public static void handlerEnds(SlowHandler event, Object handler, String method, Object source) {
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
}
