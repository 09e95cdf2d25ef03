package org.quorumfs.common.protocol;

import java.time.Duration;
import java.util.Map;

/**
 * What {@link MetaService#openSession} answers: the new session's id and its lease. On the wire
 * {@code {session: string, leaseMillis: int}}.
 */
public record SessionGrant(String id, Duration lease) {
    public Map<String, Object> toWire() {
        return Map.of("session", id, "leaseMillis", (int) Math.min(Integer.MAX_VALUE, lease.toMillis()));
    }

    /** Throws {@code INVALID_ARGUMENT} for a malformed answer. */
    public static SessionGrant fromWire(Map<String, Object> m) {
        return new SessionGrant(Wire.toStr(Wire.member(m, "session"), "session"),
                Duration.ofMillis(Wire.toInt(Wire.member(m, "leaseMillis"), "leaseMillis")));
    }
}
