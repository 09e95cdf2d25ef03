package org.quorumfs.common.rpc;

import java.time.Duration;

/**
 * Bounds on one RPC: how long to wait for a connection and for the whole reply. A hung server
 * costs a caller at most {@code connect + reply}.
 */
public record RpcTimeouts(Duration connect, Duration reply) {
    public static final RpcTimeouts DEFAULT = new RpcTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5));

    public RpcTimeouts {
        if (connect.isNegative() || connect.isZero() || reply.isNegative() || reply.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive: " + connect + ", " + reply);
        }
    }
}
