package org.quorumfs.client;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The mount-wide bound of the write-back cache, counted in dirty blocks. Every open file charges
 * each block it holds dirty here; when the mount is over its bound, the file that just dirtied a
 * block writes out its own least recently dirtied ones, so random writes coalesce in memory up to
 * the bound (a 64 MiB random-write working set is written back once, at fsync or close) while the
 * cache never grows past the bound by more than one block per concurrent writer.
 *
 * <p>Block writes under way are bounded here too, mount-wide ({@link #MAX_WRITES}): each holds
 * its block, the put's encoded body (1.4 MiB for 1 MiB) and, while it is sent, a copy of the body
 * per replica in the HTTP connection, about 8 MiB for N=3. Each file already keeps at most
 * {@link OpenFile#MAX_IN_FLIGHT}, but eight files written at once held 32, more than the heap's
 * room beyond the caches.
 */
final class WriteBackBudget {
    static final int MAX_WRITES = 2 * OpenFile.MAX_IN_FLIGHT;
    private final int maxBlocks;
    private final AtomicInteger dirtyBlocks = new AtomicInteger();
    private final Semaphore writes = new Semaphore(MAX_WRITES);

    WriteBackBudget(long maxBytes, int blockSize) {
        if (maxBytes < blockSize) {
            throw new IllegalArgumentException("the write-back cache (" + maxBytes
                    + " bytes) must hold at least one block of " + blockSize + " bytes");
        }
        this.maxBlocks = (int) Math.min(Integer.MAX_VALUE, maxBytes / blockSize);
    }

    void charge() {
        dirtyBlocks.incrementAndGet();
    }

    void refund() {
        dirtyBlocks.decrementAndGet();
    }

    boolean over() {
        return dirtyBlocks.get() > maxBlocks;
    }

    /**
     * Waits for room for one more block write. The writes that hold room take no file's lock, so
     * a writer may wait here holding its own.
     */
    void startWrite() {
        writes.acquireUninterruptibly();
    }

    void endWrite() {
        writes.release();
    }
}
