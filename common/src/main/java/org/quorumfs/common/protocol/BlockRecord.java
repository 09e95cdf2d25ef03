package org.quorumfs.common.protocol;

import java.util.HashMap;
import java.util.Map;

/**
 * What the meta-server holds for one committed block: the version its replicas must carry, the
 * number of bytes in it, their MD5, and the MD5 of each {@link Limits#PIECE_SIZE} piece. A replica
 * is good only if both version and MD5 match; a read of part of a block may instead check just the
 * pieces it moves. {@code pieces} is empty for blocks committed before piece checksums existed:
 * those are always read whole.
 */
public record BlockRecord(int index, long version, int length, String md5, String pieces) {

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
        if (pieces == null || !(pieces.isEmpty() || Md5.isPieces(pieces, length))) {
            throw FsException.invalid("pieces must be 32 lowercase hex digits per piece of " + Limits.PIECE_SIZE
                    + " bytes, or empty");
        }
    }

    /** A record without piece checksums (read whole). */
    public BlockRecord(int index, long version, int length, String md5) {
        this(index, version, length, md5, "");
    }

    /** The record of {@code data} stored as {@code version} of block {@code index}. */
    public static BlockRecord of(int index, long version, byte[] data) {
        return new BlockRecord(index, version, data.length, Md5.hex(data), Md5.pieces(data));
    }

    /** Whether {@code data} is exactly this block's bytes: its length and its MD5. */
    public boolean isExactly(byte[] data) {
        return data.length == length && Md5.hex(data).equals(md5);
    }

    /** Whether a read may fetch and verify single pieces of this block. */
    public boolean hasPieces() {
        return !pieces.isEmpty();
    }

    /** The MD5s (32 hex digits each) of pieces [first, first+count). */
    public String pieceMd5s(int first, int count) {
        return pieces.substring(first * 32, (first + count) * 32);
    }

    public Map<String, Object> toWire() {
        Map<String, Object> m = new HashMap<>();
        m.put("index", index);
        m.put("version", Wire.ofLong(version));
        m.put("length", length);
        m.put("md5", md5);
        m.put("pieces", pieces);
        return m;
    }

    public static BlockRecord fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "block");
        Object pieces = m.get("pieces");
        return new BlockRecord(Wire.toInt(Wire.member(m, "index"), "index"),
                Wire.toLong(Wire.member(m, "version"), "version"),
                Wire.toInt(Wire.member(m, "length"), "length"),
                Wire.toStr(Wire.member(m, "md5"), "md5"),
                pieces == null ? "" : Wire.toStr(pieces, "pieces"));
    }
}
