package org.quorumfs.common.rpc;

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
        int n = Base64Bulk.decodedLength(b, from, to);
        if (decoded >= 0 || n < 0 || n > capacity || Base64Bulk.decode(b, from, to, array, offset) < 0) {
            return false;
        }
        decoded = n;
        return true;
    }
}
