package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * What {@link MetaService#statfs} answers: files, bytes in them and committed blocks, and for status
 * the replicas pending heal ({@code missed}) and freed files' replicas pending deletion
 * ({@code garbage}). {@code files} travels as an int, the others as decimal strings.
 */
public record FsCounts(int files, long bytes, long blocks, long missed, long garbage) {
    public Map<String, Object> toWire() {
        return Map.of("files", files, "bytes", Wire.ofLong(bytes), "blocks", Wire.ofLong(blocks),
                "missed", Wire.ofLong(missed), "garbage", Wire.ofLong(garbage));
    }

    /** Throws {@code INVALID_ARGUMENT} for a malformed answer. */
    public static FsCounts fromWire(Map<String, Object> m) {
        return new FsCounts(Wire.toInt(Wire.member(m, "files"), "files"),
                Wire.nonNegativeLong(Wire.member(m, "bytes"), "bytes"),
                Wire.nonNegativeLong(Wire.member(m, "blocks"), "blocks"),
                Wire.nonNegativeLong(Wire.member(m, "missed"), "missed"),
                Wire.nonNegativeLong(Wire.member(m, "garbage"), "garbage"));
    }
}
