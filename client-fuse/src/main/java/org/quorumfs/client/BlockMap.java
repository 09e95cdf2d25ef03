package org.quorumfs.client;

import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.mediator.Mediator;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What this mount knows of one file's committed blocks, so that reads and writes do not ask the
 * meta-server per block: fetched a window of {@link #WINDOW} blocks at a time, updated by this
 * mount's own block writes, and forgotten at every open (close-to-open consistency: another
 * mount's writes are seen from the next open on). Knowledge that went stale anyway costs no
 * correctness: a read of a superseded version finds the newer one, a write's compare-and-set fails
 * and merges again. Thread-safe (read-ahead fills it from another thread).
 */
final class BlockMap {
    static final int WINDOW = 64;

    private final long ino;
    private final Mediator mediator;
    private final Map<Integer, BlockStatus> blocks = new HashMap<>();
    private final Set<Integer> windows = new HashSet<>();
    /** Whether every block is known (a file this mount just created has none). */
    private boolean complete;
    /** Counts commits and clears, so that a window fetched across one is not kept. */
    private long generation;

    BlockMap(long ino, Mediator mediator, boolean createdEmpty) {
        this.ino = ino;
        this.mediator = mediator;
        this.complete = createdEmpty;
    }

    /** Knows the first window: {@code first} are its committed blocks, as the open answered them. */
    synchronized void seed(List<BlockStatus> first) {
        for (BlockStatus s : first) {
            blocks.put(s.block().index(), s);
        }
        windows.add(0);
    }

    /** The committed block {@code index}, or empty for a hole; asks the meta-server if not known. */
    Optional<BlockStatus> get(int index) {
        int window = index / WINDOW;
        while (true) {
            long seen;
            synchronized (this) {
                if (complete || windows.contains(window)) {
                    return Optional.ofNullable(blocks.get(index));
                }
                seen = generation;
            }
            var fetched = mediator.blocks(ino, window * WINDOW, WINDOW);
            synchronized (this) {
                // A commit of this mount that landed while the window was fetched may be missing
                // from the answer: then the answer is not kept, and the window is fetched again.
                if (generation == seen) {
                    for (BlockStatus s : fetched) {
                        blocks.put(s.block().index(), s);
                    }
                    windows.add(window);
                    return Optional.ofNullable(blocks.get(index));
                }
            }
        }
    }

    /** This mount committed {@code status}. */
    synchronized void committed(BlockStatus status) {
        generation++;
        int index = status.block().index();
        if (complete || windows.contains(index / WINDOW)) {
            blocks.put(index, status);
        }
    }

    /** Forgets everything (at an open, a truncate, or a write whose outcome is unknown). */
    synchronized void clear() {
        generation++;
        blocks.clear();
        windows.clear();
        complete = false;
    }
}
