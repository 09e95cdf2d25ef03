package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * What the meta-server holds for one committed block: the version its replicas must carry, the
 * number of bytes in it, and their MD5. A replica is good only if both version and MD5 match.
 */
public record BlockRecord(int index, long version, int length, String md5) {

    public BlockRecord {
        if (index < 0) {
            throw FsException.invalid("block index must not be negative: " + index);
        }
        if (version <= 0) {
            throw FsException.invalid("block version must be positive: " + version);
        }
        if (length < 0 || length > Limits.MAX_BLOCK_SIZE) {
            throw FsException.invalid("block length out of range: " + length);
        }
        if (!Md5.isHex(md5)) {
            throw FsException.invalid("md5 must be 32 lowercase hex digits");
        }
    }

    public Map<String, Object> toWire() {
        return Map.of("index", index, "version", Wire.ofLong(version), "length", length, "md5", md5);
    }

    public static BlockRecord fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "block");
        return new BlockRecord(Wire.toInt(Wire.member(m, "index"), "index"),
                Wire.toLong(Wire.member(m, "version"), "version"),
                Wire.toInt(Wire.member(m, "length"), "length"),
                Wire.toStr(Wire.member(m, "md5"), "md5"));
    }
}
