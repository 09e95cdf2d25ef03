package org.quorumfs.common.protocol;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** MD5 of block contents, as the lowercase hex string the meta-server stores. */
public final class Md5 {
    private Md5() {
    }

    public static String hex(byte[] data) {
        return hex(data, 0, data.length);
    }

    public static String hex(byte[] data, int offset, int length) {
        try {
            MessageDigest md = MessageDigest.getInstance("MD5");
            md.update(data, offset, length);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has MD5", e);
        }
    }

    /**
     * The MD5s of each {@link Limits#PIECE_SIZE} piece of {@code data} (the last one may be short),
     * as one string of 32 hex digits per piece; empty for empty data.
     */
    public static String pieces(byte[] data) {
        return pieces(data, 0, data.length);
    }

    /** {@link #pieces(byte[])} of the bytes {@code data[from, to)}. */
    public static String pieces(byte[] data, int from, int to) {
        StringBuilder out = new StringBuilder(pieceCount(to - from) * 32);
        for (int at = from; at < to; at += Limits.PIECE_SIZE) {
            out.append(hex(data, at, Math.min(Limits.PIECE_SIZE, to - at)));
        }
        return out.toString();
    }

    /** How many pieces a block of {@code length} bytes has. */
    public static int pieceCount(int length) {
        return (int) (((long) length + Limits.PIECE_SIZE - 1) / Limits.PIECE_SIZE);
    }

    /** Whether {@code s} is the concatenated piece MD5s of a block of {@code length} bytes. */
    public static boolean isPieces(String s, int length) {
        if (s == null || s.length() != 32 * pieceCount(length)) {
            return false;
        }
        for (int i = 0; i < s.length(); i += 32) {
            if (!isHex(s.substring(i, i + 32))) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code s} looks like an MD5 hex digest. */
    public static boolean isHex(String s) {
        if (s == null || s.length() != 32) {
            return false;
        }
        for (int i = 0; i < 32; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }
}
