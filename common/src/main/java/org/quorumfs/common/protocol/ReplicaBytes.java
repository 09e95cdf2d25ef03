package org.quorumfs.common.protocol;

import java.util.Map;
import java.util.Optional;

/**
 * A data server's answer to {@link DataService#get} and {@link DataService#getRange}: the bytes of
 * its replica, or none when it holds no replica of that version (missing or stale). On the wire
 * {@code {found: true, data: base64}} or {@code {found: false}}.
 */
public record ReplicaBytes(Optional<byte[]> bytes) {
    static final Map<String, Object> NOT_FOUND = Map.of("found", false);

    public Map<String, Object> toWire() {
        return bytes.<Map<String, Object>>map(d -> Map.of("found", true, "data", d)).orElse(NOT_FOUND);
    }

    /** Throws {@code INVALID_ARGUMENT} for a malformed answer. */
    public static ReplicaBytes fromWire(Map<String, Object> m) {
        return new ReplicaBytes(Wire.toBoolean(Wire.member(m, "found"), "found")
                ? Optional.of(Wire.toBytes(Wire.member(m, "data"), "data")) : Optional.empty());
    }
}
