package org.quorumfs.common.protocol;

import java.util.Map;

/** A committed block and its inode, as {@link MetaService#blocksAfter} pages them for the scrub. */
public record FileBlock(long ino, BlockStatus status) {
    public Map<String, Object> toWire() {
        return Map.of("ino", Wire.ofLong(ino), "block", status.toWire());
    }

    /** Throws {@code INVALID_ARGUMENT} for a malformed entry. */
    public static FileBlock fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "block");
        return new FileBlock(Wire.positiveLong(Wire.member(m, "ino"), "ino"), BlockStatus.fromWire(Wire.member(m, "block")));
    }
}
