package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * What an unlink or rmdir took away: the inode the name led to, the inode whose last link that
 * was and whose replicas may now be deleted (or 0: other links remain, or a session holds it
 * open), and the parent directory's attributes after the change.
 */
public record RemovedEntry(long ino, long freed, Attributes parent) {
    public Map<String, Object> toWire() {
        return Map.of("ino", Wire.ofLong(ino), "freed", Wire.ofLong(freed), "parent", parent.toWire());
    }

    public static RemovedEntry fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "removed entry");
        return new RemovedEntry(Wire.positiveLong(Wire.member(m, "ino"), "ino"),
                Wire.nonNegativeLong(Wire.member(m, "freed"), "freed"), Attributes.fromWire(Wire.member(m, "parent")));
    }
}
