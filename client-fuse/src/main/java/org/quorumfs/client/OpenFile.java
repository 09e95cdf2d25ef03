package org.quorumfs.client;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import jnr.ffi.Pointer;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.mediator.Mediator;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * One open regular file, shared by every handle this mount has on it. Writes are gathered per block;
 * a full block (or the oldest, when too many are dirty) is written through the mediator in the
 * background, with a few blocks in flight at once, and flush, fsync and release wait for all of it
 * and report the first failure; so memory stays bounded whatever the file's size. Reads see this
 * mount's own writes (they wait for writes of the blocks they cover), keep the last verified block,
 * and fetch the next block ahead when reading sequentially. Data written by other mounts is seen at
 * the next open (close-to-open consistency, as NFS).
 */
final class OpenFile {
    /** Dirty blocks kept per file before the oldest are written out. */
    static final int MAX_DIRTY_BLOCKS = 8;
    /** Block writes of one file in flight at once. */
    static final int MAX_IN_FLIGHT = 4;

    private final long ino;
    private final Mediator mediator;
    private final ExecutorService io;
    private final int blockSize;
    private final TreeMap<Integer, DirtyBlock> dirty = new TreeMap<>();
    private final Map<Integer, Future<?>> inFlight = new LinkedHashMap<>();
    private FsException deferred;
    private long size;
    private int cachedIndex = -1;
    private byte[] cached;
    private int aheadIndex = -1;
    private Future<byte[]> ahead;
    private int handles;
    /** Whether data went out through this open file (then its flush and release change the file). */
    private boolean written;

    OpenFile(long ino, long size, Mediator mediator, ExecutorService io) {
        this.ino = ino;
        this.size = size;
        this.mediator = mediator;
        this.io = io;
        this.blockSize = mediator.blockSize();
    }

    long ino() {
        return ino;
    }

    synchronized long size() {
        return size;
    }

    synchronized void retain() {
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
        if (dirty.isEmpty() && inFlight.isEmpty() && !mediator.writeQuorumReachable()) {
            throw new FsException(ErrorCode.IO, "fewer than Qw data servers are reachable");
        }
        int done = 0;
        while (done < length) {
            long pos = offset + done;
            int index = (int) (pos / blockSize);
            int within = (int) (pos % blockSize);
            int n = Math.min(blockSize - within, length - done);
            DirtyBlock block = dirty.computeIfAbsent(index, i -> new DirtyBlock());
            block.put(src, done, within, n);
            forgetCached(index);
            if (block.covers(blockSize)) {
                writeOut(index);
            }
            done += n;
        }
        size = Math.max(size, offset + length);
        while (dirty.size() > MAX_DIRTY_BLOCKS) {
            writeOut(dirty.firstKey());
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
        int done = 0;
        while (done < n) {
            long pos = offset + done;
            int index = (int) (pos / blockSize);
            int within = (int) (pos % blockSize);
            int chunk = Math.min(blockSize - within, n - done);
            byte[] data = block(index);
            int available = Math.max(0, Math.min(chunk, data.length - within));
            if (available > 0) {
                dst.put(done, data, within, available);
            }
            if (available < chunk) {
                dst.setMemory(done + available, chunk - available, (byte) 0); // a hole or past a short block
            }
            done += chunk;
        }
        return n;
    }

    /** The verified bytes of block {@code index} (empty for a hole), and the next fetched ahead. */
    private byte[] block(int index) {
        if (index != cachedIndex) {
            boolean sequential = index == cachedIndex + 1;
            cached = index == aheadIndex ? aheadResult() : fetch(index);
            cachedIndex = index;
            if (sequential && (long) (index + 1) * blockSize < size && dirty.isEmpty()) {
                aheadIndex = index + 1;
                ahead = io.submit(() -> fetch(aheadIndex));
            }
        }
        return cached;
    }

    private byte[] fetch(int index) {
        List<BlockStatus> blocks = mediator.blocks(ino, index, 1);
        return blocks.isEmpty() ? new byte[0] : mediator.readBlock(ino, blocks.get(0));
    }

    /** The block fetched ahead; if that failed, fetched again here so the error is this read's. */
    private byte[] aheadResult() {
        int index = aheadIndex;
        Future<byte[]> f = ahead;
        aheadIndex = -1;
        ahead = null;
        try {
            return f.get();
        } catch (ExecutionException e) {
            return fetch(index);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsException(ErrorCode.IO, "interrupted");
        }
    }

    /** Forgets what was read of block {@code index}, after it was written. */
    private void forgetCached(int index) {
        if (index < 0) {
            return;
        }
        if (index == cachedIndex) {
            cachedIndex = -1;
            cached = null;
        }
        if (index == aheadIndex) {
            dropReadAhead();
        }
    }

    private void dropReadAhead() {
        if (ahead != null) {
            ahead.cancel(false);
        }
        aheadIndex = -1;
        ahead = null;
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
        awaitInFlight(index);
        while (inFlight.size() >= MAX_IN_FLIGHT) {
            awaitInFlight(inFlight.keySet().iterator().next());
        }
        inFlight.put(index, io.submit(() -> mediator.writeBlock(ino, index, block.data, block.ranges)));
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

        void put(Pointer src, long srcOffset, int within, int n) {
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
