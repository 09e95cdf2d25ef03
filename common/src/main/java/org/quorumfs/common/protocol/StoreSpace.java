package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * A data server's disk as {@link DataService#ping} answers it ({@code totalBytes}, {@code freeBytes}),
 * and as {@link DataService#usage} does with what the store holds ({@code replicas},
 * {@code usedBytes}); numbers travel as decimal strings.
 */
public record StoreSpace(long totalBytes, long freeBytes, long replicas, long usedBytes) {
    /** The disk alone, as a ping tells it. */
    public static StoreSpace ofDisk(long totalBytes, long freeBytes) {
        return new StoreSpace(totalBytes, freeBytes, 0, 0);
    }

    /** For {@link DataService#ping}. */
    public Map<String, Object> diskToWire() {
        return Map.of("totalBytes", Wire.ofLong(totalBytes), "freeBytes", Wire.ofLong(freeBytes));
    }

    /** For {@link DataService#usage}. */
    public Map<String, Object> toWire() {
        return Map.of("replicas", Wire.ofLong(replicas), "usedBytes", Wire.ofLong(usedBytes),
                "totalBytes", Wire.ofLong(totalBytes), "freeBytes", Wire.ofLong(freeBytes));
    }

    /** A ping's answer; throws {@code INVALID_ARGUMENT} for a malformed one. */
    public static StoreSpace diskFromWire(Map<String, Object> m) {
        return ofDisk(Wire.nonNegativeLong(Wire.member(m, "totalBytes"), "totalBytes"),
                Wire.nonNegativeLong(Wire.member(m, "freeBytes"), "freeBytes"));
    }

    /** A usage answer; throws {@code INVALID_ARGUMENT} for a malformed one. */
    public static StoreSpace fromWire(Map<String, Object> m) {
        return new StoreSpace(Wire.nonNegativeLong(Wire.member(m, "totalBytes"), "totalBytes"),
                Wire.nonNegativeLong(Wire.member(m, "freeBytes"), "freeBytes"),
                Wire.nonNegativeLong(Wire.member(m, "replicas"), "replicas"),
                Wire.nonNegativeLong(Wire.member(m, "usedBytes"), "usedBytes"));
    }
}
