package org.quorumfs.client;

/**
 * The verified blocks an open file's reader got whole: the latest, and for a sequential reader
 * the one before it. The kernel keeps several of a sequential reader's requests in flight and
 * FUSE workers answer them in either order: a late request for the block before read pieces again
 * that the whole block had brought (11-16 piece fetches in a 256 MiB read).
 */
final class WholeBlocks {
    private int latestIndex = -1;
    private byte[] latest;
    private int previousIndex = -1;
    private byte[] previous;

    /** Block {@code index}'s bytes if held, else null. */
    byte[] get(int index) {
        return index == latestIndex ? latest : index == previousIndex ? previous : null;
    }

    /** The index of the latest block taken, or -1. */
    int latestIndex() {
        return latestIndex;
    }

    /** Holds {@code data} as block {@code index}; the latest stays as the one before if it is. */
    void take(int index, byte[] data) {
        boolean inOrder = index == latestIndex + 1;
        previousIndex = inOrder ? latestIndex : -1;
        previous = inOrder ? latest : null;
        latestIndex = index;
        latest = data;
    }

    /** Forgets block {@code index} (it was written). */
    void forget(int index) {
        if (index == latestIndex) {
            latestIndex = -1;
            latest = null;
        }
        if (index == previousIndex) {
            previousIndex = -1;
            previous = null;
        }
    }

    void clear() {
        latestIndex = -1;
        latest = null;
        previousIndex = -1;
        previous = null;
    }
}
