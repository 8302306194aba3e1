// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * A child JVM's main: loads the native library named by its first argument with
 * {@code System.load}, as an application loads a JNI library, then runs the example echo
 * server with the other arguments. A test fixture for how epoll4j's calls bind.
 */
final class LoadLibraryThenEcho {
    private LoadLibraryThenEcho() {}

    public static void main(String[] args) throws ReflectiveOperationException {
        System.load(args[0]);
        try {
            Class.forName("org.epoll4j.examples.EchoServer").getMethod("main", String[].class)
                    .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("the echo server failed", e.getCause());
        }
    }
}
