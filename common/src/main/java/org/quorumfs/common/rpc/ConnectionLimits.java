package org.quorumfs.common.rpc;

import org.quorumfs.common.protocol.Limits;

import java.time.Duration;

/**
 * What one client connection may hold of a server. Every connection is in one of four phases:
 * waiting for a request, reading one, being answered (the handler runs), writing the answer.
 * Each phase but the handler's must end within {@code deadline}: a client that sends a byte a
 * second (slowloris), opens a connection and says nothing, or reads its answer a byte a second is
 * cut off then. A request, headers included, may not exceed {@code requestBytes}; one address may
 * hold at most {@code perSource} connections, the server {@code total}.
 *
 * <p>The defaults leave a well-behaved client far inside them (its own reply timeout is 5 s, its
 * idle kept-alive connections are dropped after 5 s); {@value #DEADLINE_PROPERTY} and
 * {@value #PER_SOURCE_PROPERTY} change them for a process.
 */
public record ConnectionLimits(Duration deadline, int perSource, int total, long requestBytes) {
    public static final String DEADLINE_PROPERTY = "quorumfs.rpc.deadlineMillis";
    public static final String PER_SOURCE_PROPERTY = "quorumfs.rpc.connectionsPerSource";
    /** Connections held at once: with keep-alive each holds a thread, past this they are refused. */
    static final int TOTAL = 1024;
    /** Room for the request line and headers on top of the largest body. */
    static final long HEADER_BYTES = 64 * 1024;

    public ConnectionLimits {
        if (deadline.isNegative() || deadline.isZero() || perSource < 1 || total < perSource || requestBytes < 1) {
            throw new IllegalArgumentException("bad connection limits: " + deadline + ", " + perSource + ", " + total
                    + ", " + requestBytes);
        }
    }

    /** This process's limits: the defaults, or what the system properties say. */
    public static ConnectionLimits ofThisProcess() {
        return new ConnectionLimits(
                Duration.ofMillis(Long.getLong(DEADLINE_PROPERTY, 30_000)),
                Integer.getInteger(PER_SOURCE_PROPERTY, TOTAL / 4),
                TOTAL,
                Limits.MAX_REQUEST_BYTES + HEADER_BYTES);
    }
}
