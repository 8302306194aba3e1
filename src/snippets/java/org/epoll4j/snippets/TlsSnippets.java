// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.snippets;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import org.epoll4j.Connection;
import org.epoll4j.ConnectionHandler;
import org.epoll4j.EventLoop;
import org.epoll4j.Server;
import org.epoll4j.Tls;
import org.epoll4j.epoll.ErrnoException;

/** The examples in the Javadoc of {@link Tls}: a TLS echo server, and a client. */
final class TlsSnippets {
    private TlsSnippets() {}

    static Server server(EventLoop loop, SSLContext context) throws ErrnoException {
        // @start region="server"
        // context: an SSLContext initialised with the server's key and certificate chain.
        Tls tls = Tls.server(context).withApplicationProtocols("http/1.1");
        return loop.listen(new InetSocketAddress(8443), tls, connection -> new ConnectionHandler() {
            @Override
            public void onData(Connection connection, ByteBuffer data) {
                connection.write(data);                   // plaintext in, plaintext out: encrypted on the way
            }
        });
        // @end
    }

    static Connection client(EventLoop loop, SSLContext context) throws ErrnoException {
        // @start region="client"
        // The name is sent as SNI, and the server's certificate must bear it.
        Tls tls = Tls.client(context, "example.org");
        Connection connection = loop.connect(new InetSocketAddress("example.org", 443), tls, new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                System.out.println("TLS " + connection.tlsSession().getProtocol());
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                System.out.print(StandardCharsets.UTF_8.decode(data));
            }
        });
        // Queued until the handshake is done, then encrypted.
        connection.write(StandardCharsets.US_ASCII.encode("HEAD / HTTP/1.1\r\nHost: example.org\r\n\r\n"));
        return connection;
        // @end
    }
}
