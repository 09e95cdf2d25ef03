package org.quorumfs.common.rpc;

/**
 * Arrays for large bodies, used again once done with: a whole block's answer (1.4 MB of base64)
 * once read, a block put's body once every server it went to has answered or failed, the block a
 * write merged once its put is made. Such an array is a humongous object to G1, zeroed when
 * allocated and collected only by a pause it brings on; a sequential read made one per block, a
 * write two per block flushed (the block and its put's body), and the collections they caused
 * grew the client's heap towards its limit. A few are kept, each for a body of its exact length:
 * every whole block has the same length, as has every whole block's answer, and a file's
 * whole-block puts but for the digits of their numbers; so no body needs a length apart from its
 * array's.
 */
public final class LargeArrays {
    /** From this length an array is humongous in the client's 1 MiB heap regions. */
    static final int LARGE = 512 << 10;
    /**
     * Four, not eight (a file's four block writes in flight, each a body and for a moment its
     * block): eight held their 11 MB for good, and with a data server stopped a 2 GiB write
     * peaked the client 30-40 MiB higher (fewer collections, so more of the heap touched between
     * them); four was level with none there and as good in writes.
     */
    static final int KEPT = 4;

    private static final byte[][] kept = new byte[KEPT][];
    private static int count;
    /**
     * Which kept array a give replaces when all places are taken: bodies of an odd length do not
     * keep out the usual one.
     */
    private static int replace;

    private LargeArrays() {
    }

    /**
     * An array of exactly {@code length} bytes: a kept one when there is one of that length (not
     * zeroed: the caller fills all of it).
     */
    public static byte[] take(int length) {
        if (length >= LARGE) {
            synchronized (kept) {
                for (int i = 0; i < count; i++) {
                    if (kept[i].length == length) {
                        byte[] a = kept[i];
                        kept[i] = kept[--count];
                        kept[count] = null;
                        return a;
                    }
                }
            }
        }
        return new byte[length];
    }

    /**
     * Keeps {@code array} for a later body of its length, in place of one kept longer when all
     * places are taken. The caller holds no reference to it afterwards: nothing read from it may
     * still point into it, nothing may still be sending it.
     */
    public static void give(byte[] array) {
        if (array.length >= LARGE) {
            synchronized (kept) {
                if (count < KEPT) {
                    kept[count++] = array;
                } else {
                    kept[replace] = array;
                    replace = (replace + 1) % KEPT;
                }
            }
        }
    }
}
