// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.transport.stream;

import java.time.Duration;
import org.epoll4j.Connection;

/**
 * A connection's settings that bound its output: the water marks of
 * {@link Connection#isWritable()}, the most bytes it may queue, and how long a graceful
 * close may take. Connections that keep the defaults share one instance.
 */
final class Limits {
    static final Limits DEFAULTS = new Limits(32 * 1024, 64 * 1024, 64L * 1024 * 1024, Duration.ofSeconds(30));

    final int lowWaterMark;
    final int highWaterMark;
    final long outputLimit;
    final Duration closeTimeout;

    private Limits(int lowWaterMark, int highWaterMark, long outputLimit, Duration closeTimeout) {
        this.lowWaterMark = lowWaterMark;
        this.highWaterMark = highWaterMark;
        this.outputLimit = outputLimit;
        this.closeTimeout = closeTimeout;
    }

    Limits withWaterMarks(int low, int high) {
        if (low < 0 || high < low) {
            throw new IllegalArgumentException("need 0 <= low <= high: low=" + low + ", high=" + high);
        }
        return new Limits(low, high, outputLimit, closeTimeout);
    }

    Limits withOutputLimit(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("output limit must be positive: " + bytes);
        }
        return new Limits(lowWaterMark, highWaterMark, bytes, closeTimeout);
    }

    Limits withCloseTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("close timeout must be positive: " + timeout);
        }
        return new Limits(lowWaterMark, highWaterMark, outputLimit, timeout);
    }
}
