// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The ways into a package that need no object of it: the public static methods and public
 * constructors of its public classes, and the protected ones of those that code elsewhere
 * may subclass (public, not final), as {@code Type.method(Params)} and
 * {@code Type(Params)} with simple names. A test fixture for the gates of the packages
 * that are public on the class path but not exported.
 */
public final class PublicEntries {
    private PublicEntries() {}

    /** The entries of the package of {@code anchor}, and of {@code more} (paths under it, such as "transport/stream"). */
    public static Set<String> of(Class<?> anchor, String... more) {
        try {
            Path classes = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            String base = anchor.getPackageName().replace('.', '/');
            Set<String> entries = new TreeSet<>();
            collect(classes, base, entries);
            for (String path : more) {
                collect(classes, path, entries);
            }
            return entries;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void collect(Path classes, String path, Set<String> entries) throws IOException {
        try (Stream<Path> files = Files.list(classes.resolve(path))) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".class")) {
                    add(load(path.replace('/', '.') + "." + name.substring(0, name.length() - ".class".length())), entries);
                }
            }
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void add(Class<?> type, Set<String> entries) {
        if (!Modifier.isPublic(type.getModifiers())) {
            return;
        }
        boolean subclassable = !Modifier.isFinal(type.getModifiers());
        for (Method method : type.getDeclaredMethods()) {
            if (Modifier.isStatic(method.getModifiers()) && reachable(method.getModifiers(), subclassable)) {
                entries.add(type.getSimpleName() + "." + method.getName() + parameters(method.getParameterTypes()));
            }
        }
        for (Constructor<?> constructor : type.getDeclaredConstructors()) {
            if (reachable(constructor.getModifiers(), subclassable)) {
                entries.add(type.getSimpleName() + parameters(constructor.getParameterTypes()));
            }
        }
    }

    private static boolean reachable(int modifiers, boolean subclassable) {
        return Modifier.isPublic(modifiers) || subclassable && Modifier.isProtected(modifiers);
    }

    private static String parameters(Class<?>[] types) {
        StringBuilder list = new StringBuilder("(");
        for (Class<?> type : types) {
            list.append(list.length() > 1 ? "," : "").append(type.getSimpleName());
        }
        return list.append(')').toString();
    }
}
