package org.quorumfs.common.rpc;

import org.apache.xmlrpc.webserver.Connection;
import org.apache.xmlrpc.webserver.RequestData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.HashMap;

/**
 * Tells clients how long an idle kept-alive connection may be reused ({@code Keep-Alive:
 * timeout=N}), well inside the deadline after which the server closes it. Without it a client
 * (the JDK's keeps connections 5 s) could send a request on a connection at the moment the
 * server closed it and get an end of file instead of an answer; with a 1.5 s deadline that race
 * failed a test's well-behaved calls.
 *
 * <p>The library's Connection has a map of response headers that it writes but never creates
 * (setResponseHeader on it throws): {@link #enable} creates it.
 */
final class KeepAliveHeader {
    private static final Logger log = LoggerFactory.getLogger(KeepAliveHeader.class);
    /** The JDK client's own limit when a server says nothing: never more than that. */
    private static final long MAX_SECONDS = 5;
    private static final Field HEADERS = headersField();

    private final String value;

    /** For a server that closes a connection idle for {@code idleLimit}: half of it, whole seconds, 1 to 5. */
    KeepAliveHeader(Duration idleLimit) {
        this.value = "timeout=" + Math.max(1, Math.min(MAX_SECONDS, idleLimit.toSeconds() / 2));
    }

    String value() {
        return value;
    }

    private static Field headersField() {
        try {
            Field f = Connection.class.getDeclaredField("headers");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("cannot send Keep-Alive headers with this XML-RPC library: {}", e.toString());
            return null;
        }
    }

    /** Lets {@code connection} carry response headers. */
    static void enable(Connection connection) {
        if (HEADERS == null) {
            return;
        }
        try {
            HEADERS.set(connection, new HashMap<String, String>());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot prepare a connection's response headers", e);
        }
    }

    /** Adds the header to the answer about to be written for {@code request}, when its connection stays open. */
    void add(RequestData request) {
        if (HEADERS != null && request.isKeepAlive()) {
            request.getConnection().setResponseHeader("Keep-Alive", value);
        }
    }
}
