// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The library's module, as compiled into target/classes/META-INF/versions/22: it needs
 * java.base and jdk.jfr (its events) only, not jdk.unsupported (the example's
 * sun.misc.Signal stays with the example), and exports the loop and epoll packages only.
 */
class ModuleDescriptorTest {
    @Test
    void theLibraryRequiresJavaBaseAndJfrOnlyAndExportsTheLoopAndEpoll() throws IOException {
        ModuleDescriptor module = descriptor();
        assertEquals("org.epoll4j", module.name());
        Set<String> requires = module.requires().stream().map(ModuleDescriptor.Requires::name)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of("java.base", "jdk.jfr"), requires);
        Set<String> exports = module.exports().stream().map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of("org.epoll4j", "org.epoll4j.epoll"), exports);
        assertFalse(module.mainClass().isPresent(), "the library names no main class");
    }

    @Test
    void theExampleIsNotInTheLibrary() {
        assertFalse(Files.exists(EchoServerProcess.classes().resolve("org/epoll4j/examples")),
                "org/epoll4j/examples in the library's classes");
    }

    private static ModuleDescriptor descriptor() throws IOException {
        Path file = EchoServerProcess.classes().resolve("META-INF/versions/22/module-info.class");
        try (InputStream in = Files.newInputStream(file)) {
            return ModuleDescriptor.read(in);
        }
    }
}
