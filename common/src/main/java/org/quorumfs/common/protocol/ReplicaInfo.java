package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * One replica file as a data server lists it for garbage collection: {@code modifiedMillis} (ms
 * since the epoch) tells a write in flight (young, not yet committed) from an abandoned one.
 */
public record ReplicaInfo(long ino, int index, long version, long length, long modifiedMillis) {

    public Map<String, Object> toWire() {
        return Map.of("ino", Wire.ofLong(ino), "index", index, "version", Wire.ofLong(version),
                "length", Wire.ofLong(length), "modified", Wire.ofLong(modifiedMillis));
    }

    public static ReplicaInfo fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "replica");
        return new ReplicaInfo(Wire.positiveLong(Wire.member(m, "ino"), "ino"),
                Wire.nonNegativeInt(Wire.member(m, "index"), "index"),
                Wire.positiveLong(Wire.member(m, "version"), "version"),
                Wire.nonNegativeLong(Wire.member(m, "length"), "length"),
                Wire.toLong(Wire.member(m, "modified"), "modified"));
    }
}
