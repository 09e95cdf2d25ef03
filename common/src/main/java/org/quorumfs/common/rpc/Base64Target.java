package org.quorumfs.common.rpc;

import java.util.Arrays;

/**
 * A range of the caller's array that the base64 value of one answer is decoded into, instead of
 * an array of its own ({@link EncodedCall#decodingInto}). A shared block read decodes each
 * server's share of a block straight into the block it assembles: a share of its own was half a
 * block, an object G1 allocates in heap regions of its own, and two per block grew the client's
 * heap. The answer then carries an empty array where the value was, and {@link #decoded()} says
 * how many bytes landed. Only an answer in our servers' plain layout ({@link PlainXml}) is decoded
 * here; an answer in any other layout carries its value as usual and {@link #decoded()} stays -1.
 */
public final class Base64Target {
    private static final byte[] VALUES = new byte[256];

    static {
        Arrays.fill(VALUES, (byte) -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.length(); i++) {
            VALUES[alphabet.charAt(i)] = (byte) i;
        }
    }

    private final byte[] array;
    private final int offset;
    private final int capacity;
    private volatile int decoded = -1;

    /** Up to {@code capacity} bytes at {@code offset} of {@code array}. */
    public Base64Target(byte[] array, int offset, int capacity) {
        if (offset < 0 || capacity < 0 || offset > array.length - capacity) {
            throw new IllegalArgumentException("range " + offset + "+" + capacity + " outside an array of "
                    + array.length);
        }
        this.array = array;
        this.offset = offset;
        this.capacity = capacity;
    }

    /** How many bytes an answer's value put in the range; -1 if none was decoded into it. */
    public int decoded() {
        return decoded;
    }

    /**
     * Decodes base64 text {@code b[from, to)} into the range, once: standard alphabet, padded to a
     * multiple of four with '=' at the end only, no line breaks (as our writers send it). False,
     * with {@link #decoded()} still -1, if the text is not that, does not fit, or a value was
     * decoded here before (bytes of the range may have been written): the answer is then read the
     * general way.
     */
    boolean decode(byte[] b, int from, int to) {
        int length = to - from;
        if (decoded >= 0 || length % 4 != 0) {
            return false;
        }
        int pad = length == 0 || b[to - 1] != '=' ? 0 : b[to - 2] == '=' ? 2 : 1;
        int n = length / 4 * 3 - pad;
        if (n > capacity) {
            return false;
        }
        int o = offset;
        int whole = pad == 0 ? to : to - 4;
        for (int i = from; i < whole; i += 4) {
            // An invalid character is -1, which makes the whole group negative.
            int v = VALUES[b[i] & 0xff] << 18 | VALUES[b[i + 1] & 0xff] << 12 | VALUES[b[i + 2] & 0xff] << 6
                    | VALUES[b[i + 3] & 0xff];
            if (v < 0) {
                return false;
            }
            array[o] = (byte) (v >> 16);
            array[o + 1] = (byte) (v >> 8);
            array[o + 2] = (byte) v;
            o += 3;
        }
        if (pad > 0) {
            int v = VALUES[b[whole] & 0xff] << 18 | VALUES[b[whole + 1] & 0xff] << 12
                    | (pad == 1 ? VALUES[b[whole + 2] & 0xff] << 6 : 0);
            if (v < 0) {
                return false;
            }
            array[o] = (byte) (v >> 16);
            if (pad == 1) {
                array[o + 1] = (byte) (v >> 8);
            }
        }
        decoded = n;
        return true;
    }
}
