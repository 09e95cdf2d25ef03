package org.quorumfs.common.protocol;

import java.util.List;
import java.util.Map;

/**
 * What {@link MetaService#truncate} answers: the file's attributes after it, and the committed
 * blocks it dropped (whose replicas the caller deletes). On the wire
 * {@code {attributes: struct, dropped: [BlockRecord struct...]}}.
 */
public record Truncation(Attributes attributes, List<BlockRecord> dropped) {
    public Map<String, Object> toWire() {
        return Map.of("attributes", attributes.toWire(), "dropped", dropped.stream().map(BlockRecord::toWire).toArray());
    }

    /** Throws {@code INVALID_ARGUMENT} for a malformed answer. */
    public static Truncation fromWire(Map<String, Object> m) {
        return new Truncation(Attributes.fromWire(Wire.member(m, "attributes")),
                Wire.toList(Wire.member(m, "dropped"), "dropped", BlockRecord::fromWire));
    }
}
