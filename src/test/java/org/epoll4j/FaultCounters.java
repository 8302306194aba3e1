// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The fault-injection shim's counters at one moment, read from the file it maps them to
 * (faults.c: names in the first 4096 bytes, then a 64-bit value each), counting the loop
 * threads' calls only: {@code calls.read} and such count calls, {@code seen.*} what the
 * shim saw, and every other name a fault injected ({@code read.EINTR}, {@code
 * write.short}, {@code sendmmsg.fewer}). A test fixture.
 */
record FaultCounters(Map<String, Long> values) {
    private static final int NAMES_SIZE = 4096;

    /** The counters now; fails if the shim has not mapped them, as when LD_PRELOAD did not load it. */
    static FaultCounters read(Path file) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) <= NAMES_SIZE) {
            throw new AssertionError("the fault-injection shim mapped no counters to " + file
                    + ": it was not preloaded");
        }
        byte[] bytes = Files.readAllBytes(file);
        String header = new String(bytes, 0, NAMES_SIZE, StandardCharsets.US_ASCII);
        String[] names = header.substring(0, header.indexOf('\0')).split("\n");
        ByteBuffer numbers = ByteBuffer.wrap(bytes, NAMES_SIZE, bytes.length - NAMES_SIZE)
                .order(ByteOrder.nativeOrder());
        Map<String, Long> values = new TreeMap<>();
        for (String name : names) {
            values.put(name, numbers.getLong());
        }
        return new FaultCounters(values);
    }

    long get(String name) {
        Long value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException("no counter " + name + " in " + values.keySet());
        }
        return value;
    }

    /** The counts from {@code earlier} to this. */
    FaultCounters minus(FaultCounters earlier) {
        Map<String, Long> difference = new TreeMap<>();
        values.forEach((name, value) -> difference.put(name, value - earlier.get(name)));
        return new FaultCounters(difference);
    }

    /** Every system call of the loop threads that the shim wraps. */
    long calls() {
        return values.entrySet().stream().filter(e -> e.getKey().startsWith("calls."))
                .mapToLong(Map.Entry::getValue).sum();
    }

    /** The faults injected, by name, those never injected left out. */
    Map<String, Long> injected() {
        return values.entrySet().stream()
                .filter(e -> !e.getKey().startsWith("calls.") && !e.getKey().startsWith("seen.") && e.getValue() > 0)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
    }

    /** The counters that are not zero, for a failure's message. */
    @Override
    public String toString() {
        return values.entrySet().stream().filter(e -> e.getValue() != 0)
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", ", "{", "}"));
    }
}
