package org.quorumfs.common.protocol;

import java.util.Map;

/** One replica file as a data server lists it for a scrub. */
public record ReplicaInfo(long ino, int index, long version, long length) {

    public Map<String, Object> toWire() {
        return Map.of("ino", Wire.ofLong(ino), "index", index, "version", Wire.ofLong(version),
                "length", Wire.ofLong(length));
    }

    public static ReplicaInfo fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "replica");
        return new ReplicaInfo(Wire.positiveLong(Wire.member(m, "ino"), "ino"),
                Wire.nonNegativeInt(Wire.member(m, "index"), "index"),
                Wire.positiveLong(Wire.member(m, "version"), "version"),
                Wire.nonNegativeLong(Wire.member(m, "length"), "length"));
    }
}
