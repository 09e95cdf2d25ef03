package org.quorumfs.common.protocol;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A writer's request to make a new block version current: compare-and-set from
 * {@code expectedVersion} (0: the block must not exist yet) to {@code block.version()}, naming the
 * data servers that did not store the new replica so they can be healed.
 */
public record BlockCommit(BlockRecord block, long expectedVersion, List<String> missedServers) {

    public BlockCommit {
        if (expectedVersion < 0) {
            throw FsException.invalid("expected version must not be negative");
        }
        if (block.version() <= expectedVersion) {
            throw FsException.invalid("new version " + block.version()
                    + " must be greater than the expected " + expectedVersion);
        }
        missedServers = List.copyOf(missedServers);
        missedServers.forEach(Wire::server);
    }

    public Map<String, Object> toWire() {
        Map<String, Object> m = new HashMap<>(block.toWire());
        m.put("expected", Wire.ofLong(expectedVersion));
        m.put("missed", missedServers.toArray());
        return m;
    }

    public static BlockCommit fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "commit");
        return new BlockCommit(BlockRecord.fromWire(m), Wire.nonNegativeLong(Wire.member(m, "expected"), "expected"),
                Wire.servers(Wire.member(m, "missed")));
    }
}
