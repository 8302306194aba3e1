// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandles;
import java.util.Set;
import java.util.TreeSet;
import org.epoll4j.EventLoop;
import org.epoll4j.testing.PublicEntries;
import org.junit.jupiter.api.Test;

/**
 * The loop and the transports are public classes in packages that are not exported: on
 * the class path they are reachable, and a loop's parts make raw system calls. Only the
 * library's own classes may open a loop's engine, and nothing else public and static in
 * those packages reaches raw calls without one.
 */
class LoopGateTest {
    /**
     * Every public static method and constructor of those packages, and the protected ones
     * of classes code elsewhere may extend, each checked harmless.
     */
    private static final Set<String> HARMLESS = Set.of(
            "Loop.open(Lookup,EventLoop)", // the gate itself
            "Loop.onAnyLoopThread()",
            // Flags of epoll events: pure functions.
            "Interest.readiness(int)", "Interest.readable(int)", "Interest.writable(int)", "Interest.closed(int)",
            "Interest.failed(int)", "Interest.hungUp(int)", "Interest.connectSettled(int)",
            "LoopEvents.recording()", "LoopEvents.handlerBegins()",
            "LoopEvents.handlerEnds(SlowHandler,Object,String,Object)", "SlowHandler()",
            "ReadBuffer(MemorySegment,int)", // views of a segment the caller holds already
            "Source(int,int)", // a subclass of its own reaches no loop: only a Registry calls it
            // State with no native side.
            "Counters()", "Timers()", "Request()",
            // These need an open Loop, which only the gate gives (or a source made with one).
            "TimerEntry(Loop,Duration,Runnable)", "TimerEntry(Loop,Duration,Duration,Runnable)", "TimerEntry(Loop,long,Runnable)",
            "Connector.connect(Loop,SocketAddress,ConnectionFactory)",
            "Listener.open(Loop,SocketAddress,ConnectionFactory,Set,Supplier)",
            "Listener.openOwnPort(Loop,SocketAddress,ConnectionFactory)",
            "StreamRequests(Loop,ConnectionHandler,HandlerFactory,int,boolean)",
            "UdpOutput(Loop,int,Arena,int,DatagramHandler)",
            "UdpChannel.bind(Loop,InetSocketAddress,int,DatagramHandler,Set,EndpointFactory)",
            "UdpChannel.freePort(Loop,InetSocketAddress)",
            "WatchedFd(Loop,int,int,int,WatchHandler)",
            "WatchedFd.checkWatch(Loop,int,int)",
            "WatchedFd.register(WatchedFd)");

    @Test
    void codeOutsideTheLibraryCannotOpenALoopsEngine() {
        IllegalCallerException refused = assertThrows(IllegalCallerException.class,
                () -> Loop.open(MethodHandles.lookup(), null));
        assertTrue(refused.getMessage().startsWith(getClass().getName() + " may not make"), refused.getMessage());
        assertThrows(IllegalCallerException.class, () -> Loop.open(MethodHandles.lookup().in(EventLoop.class), null));
    }

    @Test
    void nothingElsePublicAndStaticInTheLoopOrTransportsReachesRawCalls() {
        assertEquals(new TreeSet<>(HARMLESS), PublicEntries.of(Loop.class, "org/epoll4j/transport/stream", "org/epoll4j/transport/udp",
                "org/epoll4j/transport/watch"),
                "a public static method or constructor of the loop or a transport was added or removed:"
                        + " check it is harmless");
    }
}
