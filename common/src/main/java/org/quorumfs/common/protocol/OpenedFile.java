package org.quorumfs.common.protocol;

import java.util.List;
import java.util.Map;

/**
 * What {@link MetaService#open} answers: the file's attributes and its first committed blocks. On
 * the wire {@code {attributes: struct, blocks: [BlockStatus struct...]}}.
 */
public record OpenedFile(Attributes attributes, List<BlockStatus> blocks) {
    public Map<String, Object> toWire() {
        return Map.of("attributes", attributes.toWire(), "blocks", blocks.stream().map(BlockStatus::toWire).toArray());
    }

    /** Throws {@code INVALID_ARGUMENT} for a malformed answer. */
    public static OpenedFile fromWire(Map<String, Object> m) {
        return new OpenedFile(Attributes.fromWire(Wire.member(m, "attributes")),
                Wire.toList(Wire.member(m, "blocks"), "blocks", BlockStatus::fromWire));
    }
}
