package org.quorumfs.client;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The mount-wide bound of the write-back cache, counted in dirty blocks. Every open file charges
 * each block it holds dirty here; when the mount is over its bound, the file that just dirtied a
 * block writes out its own least recently dirtied ones, so random writes coalesce in memory up to
 * the bound (a 64 MiB random-write working set is written back once, at fsync or close) while the
 * cache never grows past the bound by more than one block per concurrent writer.
 */
final class WriteBackBudget {
    private final int maxBlocks;
    private final AtomicInteger dirtyBlocks = new AtomicInteger();

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
}
