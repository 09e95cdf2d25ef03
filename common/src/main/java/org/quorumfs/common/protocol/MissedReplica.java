package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * A replica recorded as having missed a write, as {@link MetaService#missedReplicas} pages them:
 * block {@code index} of inode {@code ino} on data server {@code server} ("host:port").
 */
public record MissedReplica(long ino, int index, String server) {
    public Map<String, Object> toWire() {
        return Map.of("ino", Wire.ofLong(ino), "index", index, "server", server);
    }

    /** Throws {@code INVALID_ARGUMENT} for a malformed entry. */
    public static MissedReplica fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "missed replica");
        return new MissedReplica(Wire.positiveLong(Wire.member(m, "ino"), "ino"),
                Wire.nonNegativeInt(Wire.member(m, "index"), "index"), Wire.server(Wire.member(m, "server")));
    }
}
