// SPDX-License-Identifier: Apache-2.0
package org.epoll4j;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * How a stream connection speaks TLS: the {@link SSLContext} its engine comes from, the
 * side it takes, and what its handshake may do. A handler of a TLS connection sees the
 * same contract as a plaintext one: {@code onOpen} once the handshake is done,
 * plaintext in {@code onData} (lent for the call, kept with
 * {@link Connection#keepUnread}), plaintext to {@code write} and {@code stage}, from any
 * thread, with queued output and the water marks counted in plaintext bytes.
 *
 * {@snippet class="org.epoll4j.snippets.TlsSnippets" region="server"}
 *
 * <p>Notes:
 * <ul>
 *   <li>The handshake runs on the loop. The engine's delegated tasks (key generation,
 *       certificate checks) run on {@link #withDelegatedTasks an executor}, by default
 *       a virtual thread each, never on the loop.</li>
 *   <li>A handshake that does not finish within {@link #DEFAULT_HANDSHAKE_TIMEOUT} (see
 *       {@link #withHandshakeTimeout}) resets the connection; a failed one closes it. Either
 *       way {@code onOpen} never runs, and {@code onClose} gets an {@link javax.net.ssl.SSLException}
 *       that names the reason, or the alert.</li>
 *   <li>{@link Connection#close()} sends close_notify after the queued output, then closes as
 *       a plaintext connection does. The peer's close_notify is an end of input
 *       ({@code onEndOfInput}); the peer's end of stream without one closes the connection
 *       with an {@code SSLException} saying that its input may be truncated.</li>
 *   <li>TLS 1.2 renegotiation is refused: the connection closes with an
 *       {@code SSLException}. TLS 1.3's key updates and session tickets are taken.</li>
 *   <li>Reading paused before the handshake is done pauses the handshake too.</li>
 * </ul>
 */
public final class Tls {
    /** How long a handshake may take unless {@link #withHandshakeTimeout} says otherwise: 10 seconds. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Where delegated tasks run unless {@link #withDelegatedTasks} says otherwise: each on a
     * virtual thread of its own. Not the common pool, which a blocking task of the
     * application's can hold up (on two cores it has one thread).
     */
    private static final Executor VIRTUAL_THREADS = Thread::startVirtualThread;

    private final SSLContext context;
    /** The server's name, for SNI and the hostname check; null on the server side. */
    private final String serverName;
    private final List<String> applicationProtocols;
    private final Duration handshakeTimeout;
    private final Executor delegatedTasks;
    /** What a server asks of clients' certificates; null: what the context's engines ask by default. */
    private final ClientAuth clientAuth;

    /** What a server asks of its clients' certificates (see {@link #withClientAuth}). */
    public enum ClientAuth {
        /** No certificate is asked for. */
        NONE,
        /** A certificate is asked for; a client without one is served all the same. */
        WANT,
        /** A certificate is required: a client without one (or with one not trusted) fails the handshake. */
        NEED
    }

    private Tls(SSLContext context, String serverName, List<String> applicationProtocols, Duration handshakeTimeout,
                Executor delegatedTasks, ClientAuth clientAuth) {
        this.context = context;
        this.serverName = serverName;
        this.applicationProtocols = applicationProtocols;
        this.handshakeTimeout = handshakeTimeout;
        this.delegatedTasks = delegatedTasks;
        this.clientAuth = clientAuth;
    }

    /**
     * The server side of TLS, with the certificate and key of {@code context}'s key
     * managers. Clients are not asked for a certificate unless the engine's default
     * parameters of {@code context} say so.
     *
     * @param context the context the engines come from, initialised with a key manager
     * @return the configuration
     */
    public static Tls server(SSLContext context) {
        return new Tls(Objects.requireNonNull(context, "context"), null, List.of(), DEFAULT_HANDSHAKE_TIMEOUT,
                VIRTUAL_THREADS, null);
    }

    /**
     * The client side of TLS to {@code serverName}: sent as SNI (unless it is an IP address)
     * and checked against the server's certificate as HTTPS does (RFC 2818), with the trust
     * managers of {@code context}.
     *
     * @param context the context the engines come from
     * @param serverName the host name (or IP address) the server's certificate must name
     * @return the configuration
     * @throws IllegalArgumentException if {@code serverName} is empty
     */
    public static Tls client(SSLContext context, String serverName) {
        Objects.requireNonNull(serverName, "serverName");
        if (serverName.isEmpty()) {
            throw new IllegalArgumentException("the server name must not be empty");
        }
        if (!isIpAddress(serverName)) {
            try {
                new SNIHostName(serverName);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("not a host name that TLS can send (SNI): " + serverName, e);
            }
        }
        return new Tls(Objects.requireNonNull(context, "context"), serverName, List.of(), DEFAULT_HANDSHAKE_TIMEOUT,
                VIRTUAL_THREADS, null);
    }

    /**
     * This configuration with ALPN: a client offers {@code protocols}, in order of
     * preference; a server picks the first of {@code protocols} that the client offers,
     * and fails the handshake (alert no_application_protocol) if it offers some and none
     * of these. None: no ALPN. See {@link Connection#applicationProtocol()}.
     *
     * @param protocols the protocol names, such as {@code "h2"} and {@code "http/1.1"}
     * @return a new configuration
     * @throws IllegalArgumentException if a name is empty or repeated
     */
    public Tls withApplicationProtocols(String... protocols) {
        List<String> names = List.of(protocols);
        for (String name : names) {
            if (name.isEmpty()) {
                throw new IllegalArgumentException("an application protocol name must not be empty: " + names);
            }
        }
        if (names.stream().distinct().count() != names.size()) {
            throw new IllegalArgumentException("application protocol names must not repeat: " + names);
        }
        return new Tls(context, serverName, names, handshakeTimeout, delegatedTasks, clientAuth);
    }

    /**
     * This configuration with {@code timeout} for the handshake, from the connection's
     * start (accept, or connect's completion) to its end.
     *
     * @param timeout the most a handshake may take; positive
     * @return a new configuration
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public Tls withHandshakeTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("a handshake timeout must be positive: " + timeout);
        }
        return new Tls(context, serverName, applicationProtocols, timeout, delegatedTasks, clientAuth);
    }

    /**
     * This configuration with the engine's delegated tasks run on {@code executor}: the
     * slow steps of a handshake, which must not run on the loop. An executor that refuses
     * a task fails that handshake.
     *
     * @param executor where the tasks run
     * @return a new configuration
     */
    public Tls withDelegatedTasks(Executor executor) {
        return new Tls(context, serverName, applicationProtocols, handshakeTimeout,
                Objects.requireNonNull(executor, "executor"), clientAuth);
    }

    /**
     * This server configuration asking clients for certificates as {@code auth} says,
     * checked with the trust managers of the context; the handler reads the client's
     * chain from {@link Connection#tlsSession()}'s peer certificates. A client is asked for
     * none unless the context's engines ask by default.
     *
     * @param auth NONE, WANT or NEED
     * @return a new configuration
     * @throws IllegalStateException if this is the client side: servers ask, clients answer
     *     with the key managers of their context
     */
    public Tls withClientAuth(ClientAuth auth) {
        Objects.requireNonNull(auth, "auth");
        if (isClient()) {
            throw new IllegalStateException("client certificates are asked for by servers; a client sends the"
                    + " one of its SSLContext's key managers: " + this);
        }
        return new Tls(context, serverName, applicationProtocols, handshakeTimeout, delegatedTasks, auth);
    }

    /**
     * Whether this is the client side.
     *
     * @return true for {@link #client}, false for {@link #server}
     */
    public boolean isClient() {
        return serverName != null;
    }

    /**
     * The handshake timeout.
     *
     * @return how long a handshake may take
     */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /** Where the delegated tasks run. */
    Executor delegatedTasks() {
        return delegatedTasks;
    }

    /** A new engine for one connection to or from {@code peer} (null if unknown). */
    SSLEngine newEngine(SocketAddress peer) {
        SSLEngine engine;
        if (isClient()) {
            int port = peer instanceof InetSocketAddress inet ? inet.getPort() : -1;
            engine = context.createSSLEngine(serverName, port);
            engine.setUseClientMode(true);
        } else {
            engine = context.createSSLEngine();
            engine.setUseClientMode(false);
        }
        SSLParameters parameters = engine.getSSLParameters();
        if (isClient()) {
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            if (!isIpAddress(serverName)) {
                parameters.setServerNames(List.of(new SNIHostName(serverName)));
            }
        }
        if (!applicationProtocols.isEmpty()) {
            parameters.setApplicationProtocols(applicationProtocols.toArray(String[]::new));
        }
        if (clientAuth == ClientAuth.NONE) {
            parameters.setNeedClientAuth(false); // (clears the "want" too)
        } else if (clientAuth == ClientAuth.WANT) {
            parameters.setWantClientAuth(true);
        } else if (clientAuth == ClientAuth.NEED) {
            parameters.setNeedClientAuth(true);
        }
        engine.setSSLParameters(parameters);
        return engine;
    }

    private static boolean isIpAddress(String name) {
        // Only a literal: InetAddress.ofLiteral never resolves a name (JDK 22+).
        try {
            InetAddress.ofLiteral(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "Tls[" + (isClient() ? "client to " + serverName : "server")
                + (applicationProtocols.isEmpty() ? "" : ", ALPN " + applicationProtocols)
                + (clientAuth == null ? "" : ", client auth " + clientAuth)
                + ", handshake timeout " + handshakeTimeout + "]";
    }
}
