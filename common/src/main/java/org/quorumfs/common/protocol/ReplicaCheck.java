package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * A data server's answer to {@link DataService#check}: the length and MD5 of its replica as it is
 * on its disk, so a read can count it among Qr without moving its bytes; or not found. On the wire
 * {@code {found: true, length: int, md5: hex}} or {@code {found: false}}.
 */
public record ReplicaCheck(boolean found, int length, String md5) {
    private static final ReplicaCheck ABSENT = new ReplicaCheck(false, 0, "");

    public static ReplicaCheck of(byte[] replica) {
        return new ReplicaCheck(true, replica.length, Md5.hex(replica));
    }

    public static ReplicaCheck absent() {
        return ABSENT;
    }

    /** Whether the replica is there and is exactly {@code block}'s bytes. */
    public boolean vouchesFor(BlockRecord block) {
        return found && length == block.length() && md5.equals(block.md5());
    }

    public Map<String, Object> toWire() {
        return found ? Map.of("found", true, "length", length, "md5", md5) : ReplicaBytes.NOT_FOUND;
    }

    /** Throws {@code INVALID_ARGUMENT} for a malformed answer. */
    public static ReplicaCheck fromWire(Map<String, Object> m) {
        return Wire.toBoolean(Wire.member(m, "found"), "found")
                ? new ReplicaCheck(true, Wire.toInt(Wire.member(m, "length"), "length"), Wire.toStr(Wire.member(m, "md5"), "md5"))
                : ABSENT;
    }
}
