package org.quorumfs.client;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import jnr.ffi.Pointer;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.mediator.Mediator;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * One open regular file, shared by every handle this mount has on it. Writes are gathered per block
 * in the mount's write-back cache ({@link WriteBackBudget}); a full block, or the least recently
 * dirtied ones when the cache is over its bound, is written through the mediator in the
 * background, with a few blocks in flight at once, and flush, fsync and release wait for all of it
 * and report the first failure. Reads see this mount's own writes (they wait for writes of the
 * blocks they cover). A sequential reader gets whole verified blocks, the next one fetched ahead; a
 * read elsewhere moves and verifies only the pieces it touches. The file's block map is kept from
 * open to close ({@link BlockMap}). Data written by other mounts is seen at the next open
 * (close-to-open consistency, as NFS).
 */
final class OpenFile {
    /**
     * Blocks fetched ahead of a sequential reader: enough that the data servers work on the next
     * blocks while the reader verifies and copies this one.
     */
    static final int READ_AHEAD_BLOCKS = 3;
    /** Block writes of one file in flight at once. */
    static final int MAX_IN_FLIGHT = 4;

    private final long ino;
    private final Mediator mediator;
    private final ExecutorService io;
    private final int blockSize;
    private final WriteBackBudget budget;
    private final PieceCache pieces;
    private final BlockMap map;
    private final TreeMap<Integer, DirtyBlock> dirty = new TreeMap<>();
    /** Counts writes, so that the least recently dirtied block can be told. */
    private long writeSeq;
    /** Where a sequential reader would read next. */
    private long sequentialOffset;
    private final Map<Integer, Future<?>> inFlight = new LinkedHashMap<>();
    private FsException deferred;
    private long size;
    private int cachedIndex = -1;
    private byte[] cached;
    /** Blocks being fetched ahead of a sequential reader, by index. */
    private final TreeMap<Integer, Future<byte[]>> ahead = new TreeMap<>();
    private int handles;
    /** Whether data went out through this open file (then its flush and release change the file). */
    private boolean written;

    OpenFile(long ino, long size, boolean createdEmpty, Mediator mediator, ExecutorService io,
             WriteBackBudget budget, PieceCache pieces) {
        this.pieces = pieces;
        this.ino = ino;
        this.size = size;
        this.mediator = mediator;
        this.io = io;
        this.budget = budget;
        this.blockSize = mediator.blockSize();
        this.map = new BlockMap(ino, mediator, createdEmpty);
    }

    long ino() {
        return ino;
    }

    synchronized long size() {
        return size;
    }

    /** One more handle; an open after the first drops the block map (close-to-open). */
    synchronized void retain(boolean reopened) {
        if (reopened) {
            map.clear();
        }
        handles++;
    }

    synchronized boolean idle() {
        return handles == 0;
    }

    /** Returns whether this was the last handle. */
    synchronized boolean release() {
        return --handles == 0;
    }

    synchronized boolean written() {
        return written;
    }

    synchronized int write(long offset, Pointer src, int length) {
        written = true;
        if (offset < 0) {
            throw FsException.invalid("negative offset");
        }
        if (offset + length > mediator.maxFileSize()) {
            throw new FsException(ErrorCode.FILE_TOO_LARGE, "write past the largest file");
        }
        throwDeferred();
        if (dirty.isEmpty() && inFlight.isEmpty() && !mediator.writeQuorumRecentlyReachable()) {
            throw new FsException(ErrorCode.IO, "fewer than Qw data servers are reachable");
        }
        int done = 0;
        while (done < length) {
            long pos = offset + done;
            int index = (int) (pos / blockSize);
            int within = (int) (pos % blockSize);
            int n = Math.min(blockSize - within, length - done);
            DirtyBlock block = dirty.get(index);
            if (block == null) {
                block = new DirtyBlock();
                dirty.put(index, block);
                budget.charge();
            }
            block.put(src, done, within, n, ++writeSeq);
            forgetCached(index);
            if (block.covers(blockSize)) {
                writeOut(index);
            }
            done += n;
        }
        size = Math.max(size, offset + length);
        while (budget.over() && !dirty.isEmpty()) {
            writeOut(leastRecentlyDirtied());
        }
        return length;
    }

    synchronized int read(long offset, Pointer dst, int length) {
        if (offset < 0) {
            throw FsException.invalid("negative offset");
        }
        if (offset >= size || length <= 0) {
            return 0;
        }
        int n = (int) Math.min(length, size - offset);
        int first = (int) (offset / blockSize);
        int last = (int) ((offset + n - 1) / blockSize);
        if (!dirty.subMap(first, true, last, true).isEmpty()) {
            flush();
        }
        for (int i = first; i <= last; i++) {
            awaitInFlight(i);
        }
        throwDeferred();
        boolean sequential = offset == sequentialOffset;
        sequentialOffset = offset + n;
        int done = 0;
        while (done < n) {
            long pos = offset + done;
            int index = (int) (pos / blockSize);
            int within = (int) (pos % blockSize);
            int chunk = Math.min(blockSize - within, n - done);
            int available;
            if (sequential || index == cachedIndex || ahead.containsKey(index)) {
                byte[] data = block(index);
                available = Math.max(0, Math.min(chunk, data.length - within));
                if (available > 0) {
                    dst.put(done, data, within, available);
                }
            } else {
                byte[] part = part(index, within, chunk);
                available = part.length;
                dst.put(done, part, 0, available);
            }
            if (available < chunk) {
                dst.setMemory(done + available, chunk - available, (byte) 0); // a hole or past a short block
            }
            done += chunk;
        }
        return n;
    }

    /**
     * Verified bytes [{@code within}, {@code within + n}) of block {@code index} (fewer at its end,
     * none for a hole), from the piece cache where it has them, else fetched as one range of the
     * pieces missing.
     */
    private byte[] part(int index, int within, int n) {
        Optional<BlockStatus> status = map.get(index);
        if (status.isEmpty()) {
            return new byte[0];
        }
        BlockRecord b = status.get().block();
        int end = Math.min(b.length(), within + n);
        if (within >= end || !b.hasPieces()) {
            return within >= end ? new byte[0] : mediator.readRange(ino, status.get(), within, n);
        }
        int first = within / Limits.PIECE_SIZE;
        int last = (end - 1) / Limits.PIECE_SIZE;
        byte[][] got = new byte[last - first + 1][];
        int missFrom = -1;
        int missTo = -1;
        for (int p = first; p <= last; p++) {
            got[p - first] = pieces.get(ino, index, b.version(), p);
            if (got[p - first] == null) {
                missFrom = missFrom < 0 ? p : missFrom;
                missTo = p;
            }
        }
        if (missFrom >= 0) {
            int from = missFrom * Limits.PIECE_SIZE;
            byte[] fetched = mediator.readRange(ino, status.get(), from, (missTo - missFrom + 1) * Limits.PIECE_SIZE);
            for (int p = missFrom; p <= missTo; p++) {
                int at = (p - missFrom) * Limits.PIECE_SIZE;
                byte[] piece = Arrays.copyOfRange(fetched, Math.min(at, fetched.length),
                        Math.min(at + Limits.PIECE_SIZE, fetched.length));
                pieces.put(ino, index, b.version(), p, piece);
                got[p - first] = piece;
            }
        }
        byte[] out = new byte[end - within];
        for (int p = first; p <= last; p++) {
            int pieceStart = p * Limits.PIECE_SIZE;
            int from = Math.max(within, pieceStart);
            int to = Math.min(end, pieceStart + got[p - first].length);
            if (to > from) {
                System.arraycopy(got[p - first], from - pieceStart, out, from - within, to - from);
            }
        }
        return out;
    }

    /** The verified bytes of block {@code index} (empty for a hole), and the next ones fetched ahead. */
    private byte[] block(int index) {
        if (index != cachedIndex) {
            boolean sequential = index == cachedIndex + 1;
            Future<byte[]> early = ahead.remove(index);
            cached = early != null ? aheadResult(index, early) : fetch(index);
            cachedIndex = index;
            if (!sequential) {
                dropReadAhead();
                return cached;
            }
            // Not while writes are buffered, nor for a block whose write is in flight: the read
            // ahead would fetch the version before it.
            for (int next = index + 1; next <= index + READ_AHEAD_BLOCKS && (long) next * blockSize < size
                    && dirty.isEmpty(); next++) {
                if (!ahead.containsKey(next) && !inFlight.containsKey(next)) {
                    int n = next;
                    ahead.put(n, io.submit(() -> fetch(n)));
                }
            }
        }
        return cached;
    }

    private byte[] fetch(int index) {
        return map.get(index).map(st -> mediator.readBlock(ino, st)).orElse(new byte[0]);
    }

    /** A block fetched ahead; if that failed, fetched again here so the error is this read's. */
    private byte[] aheadResult(int index, Future<byte[]> f) {
        try {
            return f.get();
        } catch (ExecutionException | CancellationException e) {
            return fetch(index);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsException(ErrorCode.IO, "interrupted");
        }
    }

    /** Forgets what was read of block {@code index}, after it was written. */
    private void forgetCached(int index) {
        if (index == cachedIndex) {
            cachedIndex = -1;
            cached = null;
        }
        Future<byte[]> f = ahead.remove(index);
        if (f != null) {
            f.cancel(false);
        }
    }

    private void dropReadAhead() {
        ahead.values().forEach(f -> f.cancel(false));
        ahead.clear();
    }

    /** Writes every dirty block and waits for all writes; the first failure is thrown. */
    synchronized void flush() {
        while (!dirty.isEmpty()) {
            writeOut(dirty.firstKey());
        }
        for (Integer index : List.copyOf(inFlight.keySet())) {
            awaitInFlight(index);
        }
        throwDeferred();
    }

    synchronized void truncate(long newSize) {
        written = true;
        flush();
        map.clear();
        size = mediator.truncate(ino, newSize).size();
        cachedIndex = -1;
        cached = null;
        dropReadAhead();
    }

    /**
     * Sends a dirty block to the mediator in the background. An earlier write of the same block
     * must land first (the later one may only merge onto it), and at most a few are in flight.
     */
    private void writeOut(int index) {
        DirtyBlock block = dirty.remove(index);
        budget.refund();
        awaitInFlight(index);
        while (inFlight.size() >= MAX_IN_FLIGHT) {
            awaitInFlight(inFlight.keySet().iterator().next());
        }
        inFlight.put(index, io.submit(() -> {
            map.committed(mediator.writeBlock(ino, index, block.data, block.ranges, () -> map.get(index)).block());
            return null;
        }));
    }

    private int leastRecentlyDirtied() {
        int oldest = dirty.firstKey();
        long seq = Long.MAX_VALUE;
        for (Map.Entry<Integer, DirtyBlock> e : dirty.entrySet()) {
            if (e.getValue().lastWrite < seq) {
                seq = e.getValue().lastWrite;
                oldest = e.getKey();
            }
        }
        return oldest;
    }

    /** Waits for the in-flight write of block {@code index}, if any; a failure is kept for the caller. */
    private void awaitInFlight(int index) {
        Future<?> f = inFlight.remove(index);
        if (f == null) {
            return;
        }
        try {
            f.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            FsException failure = cause instanceof FsException fs ? fs
                    : new FsException(ErrorCode.IO, "block write failed: " + cause, cause);
            map.clear(); // whether the block's commit landed is not known
            if (deferred == null) {
                deferred = failure;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsException(ErrorCode.IO, "interrupted");
        }
    }

    /** Reports (once) a failure of a background write: at the next write, read, flush or close. */
    private void throwDeferred() {
        FsException e = deferred;
        if (e != null) {
            deferred = null;
            throw e;
        }
    }

    /** The bytes written into one block since it was last written out. */
    private static final class DirtyBlock {
        byte[] data = new byte[0];
        final RangeSet<Integer> ranges = TreeRangeSet.create();
        long lastWrite;

        void put(Pointer src, long srcOffset, int within, int n, long seq) {
            lastWrite = seq;
            if (data.length < within + n) {
                data = Arrays.copyOf(data, Math.max(within + n, Math.min(data.length * 2, 1 << 23)));
            }
            src.get(srcOffset, data, within, n);
            ranges.add(Range.closedOpen(within, within + n));
        }

        boolean covers(int blockSize) {
            return ranges.encloses(Range.closedOpen(0, blockSize));
        }
    }
}
