package org.quorumfs.common.protocol;

import java.util.Map;

/** One directory entry, with the child's mode so a listing needs no getattr per entry. */
public record DirEntry(String name, long ino, int mode) {

    public Map<String, Object> toWire() {
        return Map.of("name", name, "ino", Wire.ofLong(ino), "mode", mode);
    }

    public static DirEntry fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "entry");
        return new DirEntry(Wire.toStr(Wire.member(m, "name"), "name"),
                Wire.positiveLong(Wire.member(m, "ino"), "ino"),
                Wire.toInt(Wire.member(m, "mode"), "mode"));
    }
}
