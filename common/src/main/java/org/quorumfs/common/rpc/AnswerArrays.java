package org.quorumfs.common.rpc;

/**
 * Arrays for large answers (a whole block's {@code get}: 1.4 MB of base64), used again once an
 * answer has been read. Such an array is a humongous object to G1, zeroed when allocated and
 * collected only by a pause it brings on; a sequential read made one per block, and the
 * collections they caused grew the client's heap to its limit. A few are kept, each for answers of
 * its exact length: every whole block's answer has the same length, so no answer needs a length
 * apart from its array's.
 */
final class AnswerArrays {
    /** From this length an array is humongous in the client's 1 MiB heap regions. */
    static final int LARGE = 512 << 10;
    private static final int KEPT = 4;

    private static final byte[][] kept = new byte[KEPT][];
    private static int count;
    /**
     * Which kept array a give replaces when all places are taken: answers of an odd length do not
     * keep out the usual one.
     */
    private static int replace;

    private AnswerArrays() {
    }

    /** An array of exactly {@code length} bytes: a kept one when there is one of that length. */
    static byte[] take(int length) {
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
     * Keeps {@code array} for a later answer of its length, in place of one kept longer when all
     * places are taken. The caller holds no reference to it afterwards: nothing read from it may
     * still point into it.
     */
    static void give(byte[] array) {
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
