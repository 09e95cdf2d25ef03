package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * A data server's answer to {@link DataService#checkPieces}: the MD5s of the pieces asked for, as
 * its replica has them (32 hex digits a piece), or not found. On the wire
 * {@code {found: true, pieces: hex}} or {@code {found: false}}.
 */
public record PieceCheck(boolean found, String pieces) {
    private static final PieceCheck ABSENT = new PieceCheck(false, "");

    public static PieceCheck of(byte[] pieces) {
        return new PieceCheck(true, Md5.pieces(pieces));
    }

    public static PieceCheck absent() {
        return ABSENT;
    }

    /** Whether the replica is there and its pieces are exactly {@code expected} (as {@link Md5#pieces}). */
    public boolean vouchesFor(String expected) {
        return found && pieces.equals(expected);
    }

    public Map<String, Object> toWire() {
        return found ? Map.of("found", true, "pieces", pieces) : ReplicaBytes.NOT_FOUND;
    }

    /** Throws {@code INVALID_ARGUMENT} for a malformed answer. */
    public static PieceCheck fromWire(Map<String, Object> m) {
        return Wire.toBoolean(Wire.member(m, "found"), "found")
                ? new PieceCheck(true, Wire.toStr(Wire.member(m, "pieces"), "pieces")) : ABSENT;
    }
}
