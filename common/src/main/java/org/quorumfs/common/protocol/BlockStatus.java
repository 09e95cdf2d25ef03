package org.quorumfs.common.protocol;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A committed block and the data servers recorded as having missed its current version: a reader
 * need not ask those, and may heal them with the good bytes it reads.
 */
public record BlockStatus(BlockRecord block, List<String> missed) {

    public BlockStatus {
        missed = List.copyOf(missed);
    }

    public Map<String, Object> toWire() {
        Map<String, Object> m = new HashMap<>(block.toWire());
        m.put("missed", missed.toArray());
        return m;
    }

    public static BlockStatus fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "block");
        return new BlockStatus(BlockRecord.fromWire(m), Wire.servers(Wire.member(m, "missed")));
    }
}
