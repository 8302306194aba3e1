// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.examples;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * The keys and values of {@link RespServer}, shared by all its loops: byte strings, looked up
 * where they are in a request's bytes, so that a GET or an EXISTS allocates nothing. A SET
 * copies its key (if new) and value into arrays of their own; a value's array is never
 * written again, so a reader may copy it after it has let go of the lock.
 *
 * <p>The keys are spread over {@value #STRIPES} tables, each an open-addressing hash table
 * with its own lock: loops that touch different keys rarely meet.
 */
final class Keyspace {
    private static final int STRIPES = 64;
    private static final int BASIS = new SecureRandom().nextInt();

    private final Table[] tables = new Table[STRIPES];

    Keyspace() {
        for (int i = 0; i < STRIPES; i++) {
            tables[i] = new Table();
        }
    }

    /** The value of the key in {@code data} from {@code start}, {@code length} bytes long; null if none. */
    byte[] get(ByteBuffer data, int start, int length) {
        int hash = hash(data, start, length);
        Table table = table(hash);
        synchronized (table) {
            int slot = table.find(data, start, length, hash);
            return slot < 0 ? null : table.values[slot];
        }
    }

    /** Sets the key to a copy of the value from {@code valueStart}, {@code valueLength} bytes long. */
    void set(ByteBuffer data, int start, int length, int valueStart, int valueLength) {
        byte[] value = new byte[valueLength];
        data.get(valueStart, value);
        put(data, start, length, value);
    }

    /** Sets the key to {@code value}, which is the keyspace's from now on. */
    void put(ByteBuffer data, int start, int length, byte[] value) {
        int hash = hash(data, start, length);
        Table table = table(hash);
        synchronized (table) {
            table.put(data, start, length, hash, value);
        }
    }

    /** Removes the key; returns whether it was there. */
    boolean delete(ByteBuffer data, int start, int length) {
        int hash = hash(data, start, length);
        Table table = table(hash);
        synchronized (table) {
            return table.remove(data, start, length, hash);
        }
    }

    /**
     * Adds 1 to the key's value, a decimal integer (a missing key is 0); returns the new value,
     * or null if the value is not an integer or would overflow.
     */
    Long increment(ByteBuffer data, int start, int length) {
        int hash = hash(data, start, length);
        Table table = table(hash);
        synchronized (table) {
            int slot = table.find(data, start, length, hash);
            long value = 0;
            if (slot >= 0) {
                byte[] old = table.values[slot];
                Long parsed = parse(old);
                if (parsed == null || parsed == Long.MAX_VALUE) {
                    return null;
                }
                value = parsed;
            }
            value++;
            table.put(data, start, length, hash, Long.toString(value).getBytes(StandardCharsets.US_ASCII));
            return value;
        }
    }

    /** A decimal long as Redis writes one (no plus sign, no leading zero, no spaces); null if it is not one. */
    private static Long parse(byte[] digits) {
        if (digits.length == 0 || digits.length > 20) {
            return null;
        }
        try {
            String text = new String(digits, StandardCharsets.US_ASCII);
            long value = Long.parseLong(text);
            return Long.toString(value).equals(text) ? value : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private Table table(int hash) {
        return tables[(hash >>> 16 ^ hash) & (STRIPES - 1)];
    }

    /** FNV-1a over the key's bytes, from a basis drawn at start: keys that collide cannot be chosen ahead. */
    private static int hash(ByteBuffer data, int start, int length) {
        int hash = BASIS;
        for (int i = start; i < start + length; i++) {
            hash = (hash ^ (data.get(i) & 0xff)) * 0x01000193;
        }
        return hash;
    }

    /** One stripe: linear probing, a tombstone for a removed key, growing at 3/4 full (tombstones counted). */
    private static final class Table {
        private static final byte[] REMOVED = new byte[0];

        private byte[][] keys = new byte[16][];
        private byte[][] values = new byte[16][];
        private int[] hashes = new int[16];
        private int used;

        int find(ByteBuffer data, int start, int length, int hash) {
            int mask = keys.length - 1;
            for (int slot = hash & mask; ; slot = (slot + 1) & mask) {
                byte[] key = keys[slot];
                if (key == null) {
                    return -1;
                }
                if (key != REMOVED && hashes[slot] == hash && matches(key, data, start, length)) {
                    return slot;
                }
            }
        }

        void put(ByteBuffer data, int start, int length, int hash, byte[] value) {
            int slot = find(data, start, length, hash);
            if (slot >= 0) {
                values[slot] = value;
                return;
            }
            if ((used + 1) * 4 > keys.length * 3) {
                grow();
            }
            byte[] key = new byte[length];
            data.get(start, key);
            int mask = keys.length - 1;
            slot = hash & mask;
            while (keys[slot] != null && keys[slot] != REMOVED) {
                slot = (slot + 1) & mask;
            }
            if (keys[slot] == null) {
                used++;
            }
            keys[slot] = key;
            values[slot] = value;
            hashes[slot] = hash;
        }

        boolean remove(ByteBuffer data, int start, int length, int hash) {
            int slot = find(data, start, length, hash);
            if (slot < 0) {
                return false;
            }
            keys[slot] = REMOVED;
            values[slot] = null;
            return true;
        }

        private void grow() {
            byte[][] oldKeys = keys;
            byte[][] oldValues = values;
            int[] oldHashes = hashes;
            int live = 0;
            for (byte[] key : oldKeys) {
                live += key != null && key != REMOVED ? 1 : 0;
            }
            int capacity = Math.max(16, Integer.highestOneBit(Math.max(1, live) * 4) * 2); // at most 1/4 full
            keys = new byte[capacity][];
            values = new byte[capacity][];
            hashes = new int[capacity];
            used = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != null && oldKeys[i] != REMOVED) {
                    int slot = oldHashes[i] & (capacity - 1);
                    while (keys[slot] != null) {
                        slot = (slot + 1) & (capacity - 1);
                    }
                    keys[slot] = oldKeys[i];
                    values[slot] = oldValues[i];
                    hashes[slot] = oldHashes[i];
                    used++;
                }
            }
        }

        private static boolean matches(byte[] key, ByteBuffer data, int start, int length) {
            if (key.length != length) {
                return false;
            }
            for (int i = 0; i < length; i++) {
                if (key[i] != data.get(start + i)) {
                    return false;
                }
            }
            return true;
        }
    }
}
