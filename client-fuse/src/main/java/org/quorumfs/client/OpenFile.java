package org.quorumfs.client;

import com.google.common.collect.Range;
import jnr.ffi.Pointer;
import org.quorumfs.common.protocol.Attributes;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.mediator.Mediator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/**
 * One open regular file, shared by every handle this mount has on it. Writes are gathered per block
 * in the mount's write-back cache ({@link WriteBackBudget}); a full block, or the least recently
 * dirtied ones when the cache is over its bound, is written through the mediator in the
 * background, with a few blocks in flight at once; flush, fsync and close wait for all of it.
 * A failed block write is told to the handles whose bytes it carried, and only to them (at their
 * next write, flush, fsync or close, once each, as Linux's per-descriptor writeback errors): its
 * bytes go back to the buffer, under any newer ones, so reads still see them and the next flush
 * tries again (a retry that commits them before their writer was told makes the failure no
 * news); they are dropped, logged, only when no handle that wrote them is left. Reads see
 * this mount's buffered writes laid over the committed bytes, and never flush or fail for a write.
 * A sequential reader gets whole verified blocks, the next one fetched ahead; a
 * read elsewhere moves and verifies only the pieces it touches. The file's block map is kept from
 * open to close ({@link BlockMap}). Data written by other mounts is seen at the next open
 * (close-to-open consistency, as NFS).
 */
final class OpenFile implements KernelPages.Guard {
    private static final Logger log = LoggerFactory.getLogger(OpenFile.class);
    /** The handle of a flush no application asked for (truncate, unmount): it is told no errors. */
    static final long NO_HANDLE = 0;
    /**
     * Blocks fetched ahead of a sequential reader: enough that the data servers work on the next
     * blocks while the reader verifies and copies this one.
     */
    static final int READ_AHEAD_BLOCKS = 3;
    /**
     * Bytes read in order, up to a read, after which the read counts as a sequential reader's
     * (whole blocks, fetched ahead) unless it starts the file. Two 4 KiB reads of a random reader
     * adjoin now and then (43 times in fsbench's 16,384), and each cost a whole block's read.
     */
    static final int SEQUENTIAL_RUN = 2 * Limits.PIECE_SIZE;
    /** Block writes of one file in flight at once. */
    static final int MAX_IN_FLIGHT = 4;

    private final long ino;
    private final Mediator mediator;
    private final ExecutorService io;
    private final int blockSize;
    private final WriteBackBudget budget;
    private final PieceCache pieces;
    /** Told of each commit of this file (the meta-server's size and times of it moved). */
    private final LongConsumer committed;
    /** A read of block 0 begun before the open answered; used by the first fetch of block 0 at most. */
    private final AtomicReference<Mediator.EarlyRead> early = new AtomicReference<>();
    private final BlockMap map;
    private final TreeMap<Integer, DirtyBlock> dirty = new TreeMap<>();
    /** Counts writes, so that the least recently dirtied block can be told. */
    private long writeSeq;
    /** Where a sequential reader would read next. */
    private long sequentialOffset;
    /** Bytes read in order up to {@link #sequentialOffset}. */
    private long sequentialRun;
    /** Where the latest write ended: a block first written at its start, there, has a streaming writer. */
    private long writeEnd;
    private final Map<Integer, InFlight> inFlight = new LinkedHashMap<>();
    /**
     * Block write failures not yet told to the handles that wrote the bytes: by handle, by block.
     * One whose block a retry commits before the handle was told is no longer news, and goes.
     */
    private final Map<Long, TreeMap<Integer, FsException>> undelivered = new HashMap<>();
    /** The handles open on this file. */
    private final Set<Long> handles = new HashSet<>();
    /** The handles that may write it: while there is one, no read's pages go to the kernel ({@link KernelPages}). */
    private final Set<Long> writableHandles = new HashSet<>();
    /** Counts opens and truncates: a page fill offered before one of them is dropped. */
    private long changes;
    /** Page fills going to the kernel now; opens, truncates and the last close wait for them. */
    private int filling;
    private long size;
    private final WholeBlocks whole = new WholeBlocks();
    /** Blocks being fetched ahead of a sequential reader, by index. */
    private final TreeMap<Integer, Future<byte[]>> ahead = new TreeMap<>();
    /** Block writes started, counted: tells a flush whether a commit was its own. */
    private long commitsStarted;
    /** Block writes between their start and the meta-server's answer (the array is also their lock). */
    private final int[] committing = new int[1];
    /** Commits no change of the mount has covered yet (under {@link #committing}'s lock). */
    private int untold;
    /** The attributes the meta-server answered the latest commit that had no other of this file beside it. */
    private volatile Committed lastAlone;

    private record Committed(long seq, Attributes attributes) {
    }

    /**
     * The file's mode as this mount last saw it (at an open here, or its own chmod, chown or
     * clearing of set-ID bits), or -1: what {@link SuidKills} goes by, without a call per write.
     */
    private volatile int knownMode = -1;

    OpenFile(long ino, long size, boolean createdEmpty, Mediator mediator, ExecutorService io,
             WriteBackBudget budget, PieceCache pieces, LongConsumer committed) {
        this.pieces = pieces;
        this.committed = committed;
        this.ino = ino;
        this.size = size;
        this.mediator = mediator;
        this.io = io;
        this.budget = budget;
        this.blockSize = mediator.blockSize();
        this.map = new BlockMap(ino, mediator, createdEmpty);
    }

    int knownMode() {
        return knownMode;
    }

    void knowMode(int mode) {
        knownMode = mode;
    }

    long ino() {
        return ino;
    }

    /**
     * The committed blocks of the first {@link BlockMap#WINDOW}, as the open answered them, and a
     * read of block 0 begun before the open answered (or null).
     */
    void knowFirstBlocks(List<BlockStatus> first, Mediator.EarlyRead earlyRead) {
        map.seed(first);
        early.set(earlyRead);
    }

    synchronized long size() {
        return size;
    }

    /** One more handle; an open after the first drops the block map (close-to-open). */
    synchronized void retain(long handle, boolean writable) {
        if (!handles.isEmpty()) {
            map.clear();
        }
        handles.add(handle);
        if (writable) {
            writableHandles.add(handle);
        }
        changes++; // the kernel drops the file's pages at this open: nothing read before it may go there after
    }

    /**
     * Whether a page fill offered when {@link #changes} was {@code seen} may go to the kernel now;
     * if so, {@link #endFill} must follow it.
     */
    @Override
    public synchronized boolean beginFill(long seen) {
        if (seen != changes || handles.isEmpty() || !unchangeableHere()) {
            return false;
        }
        filling++;
        return true;
    }

    @Override
    public synchronized void endFill() {
        if (--filling == 0) {
            notifyAll();
        }
    }

    /** Waits until no page fill of this file is on its way to the kernel (called after {@link #changes} moved). */
    synchronized void awaitFills() {
        while (filling > 0) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    synchronized boolean idle() {
        return handles.isEmpty();
    }

    /**
     * Drops a handle (its close already flushed and was told its errors); returns whether it was
     * the last one. The last one writes out what is still buffered: what cannot be written then
     * has nobody left to be told, and is dropped and logged.
     */
    synchronized boolean release(long handle) {
        handles.remove(handle);
        writableHandles.remove(handle);
        if (handles.isEmpty()) {
            changes++; // once it is closed, a path truncate no longer finds this file to wait for it
            awaitFills();
        }
        undelivered.remove(handle);
        if (!handles.isEmpty()) {
            return false;
        }
        try {
            flush(NO_HANDLE);
        } finally {
            for (Map.Entry<Integer, DirtyBlock> e : dirty.entrySet()) {
                log.error("inode {}: block {} could not be written and its last writer has closed: {} bytes lost",
                        ino, e.getKey(), e.getValue().ranges.asRanges().stream()
                                .mapToInt(r -> r.upperEndpoint() - r.lowerEndpoint()).sum());
                budget.refund();
            }
            dirty.clear();
        }
        return true;
    }

    synchronized int write(long handle, long offset, Pointer src, int length) {
        if (offset < 0) {
            throw FsException.invalid("negative offset");
        }
        if (offset + length > mediator.maxFileSize()) {
            throw new FsException(ErrorCode.FILE_TOO_LARGE, "write past the largest file");
        }
        deliver(handle);
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
                // streamed: this write, or the one before it, runs on into the block's start
                block = new DirtyBlock(blockSize, within == 0 && (done > 0 || pos == writeEnd));
                dirty.put(index, block);
                budget.charge();
            }
            block.put(src, done, within, n, ++writeSeq, handle);
            forgetCached(index);
            if (block.covers(blockSize)) {
                writeOut(index);
            }
            done += n;
        }
        size = Math.max(size, offset + length);
        writeEnd = offset + length;
        // Bounded: a block whose write failed comes back to the buffer, and must not loop here.
        for (int tries = dirty.size(); budget.over() && !dirty.isEmpty() && tries > 0; tries--) {
            writeOut(leastRecentlyDirtied());
        }
        return length;
    }

    /**
     * Reads into {@code dst}; pieces fetched for it from the data servers are offered to
     * {@code kernel} while no handle of this mount can change the file.
     */
    synchronized int read(long offset, Pointer dst, int length, KernelPages kernel) {
        if (offset < 0) {
            throw FsException.invalid("negative offset");
        }
        if (offset >= size || length <= 0) {
            return 0;
        }
        int n = (int) Math.min(length, size - offset);
        int first = (int) (offset / blockSize);
        int last = (int) ((offset + n - 1) / blockSize);
        for (int i = first; i <= last; i++) {
            awaitInFlight(i); // a failed one comes back to the buffer, read below
        }
        boolean continues = offset == sequentialOffset;
        boolean sequential = offset == 0 || continues && sequentialRun >= SEQUENTIAL_RUN;
        sequentialRun = continues ? sequentialRun + n : n;
        sequentialOffset = offset + n;
        Fills fills = fills(kernel, offset, n);
        int done = 0;
        while (done < n) {
            long pos = offset + done;
            int index = (int) (pos / blockSize);
            int within = (int) (pos % blockSize);
            int chunk = Math.min(blockSize - within, n - done);
            DirtyBlock buffered = dirty.get(index);
            int available;
            if (buffered != null && buffered.ranges.encloses(Range.closedOpen(within, within + chunk))) {
                available = 0; // all of it is buffered here
            } else if (sequential || whole.get(index) != null || ahead.containsKey(index)) {
                byte[] data = block(index);
                available = Math.max(0, Math.min(chunk, data.length - within));
                if (available > 0) {
                    dst.put(done, data, within, available);
                }
            } else {
                byte[] part = part(index, within, chunk, fills);
                available = part.length;
                dst.put(done, part, 0, available);
            }
            if (available < chunk) {
                dst.setMemory(done + available, chunk - available, (byte) 0); // a hole or past a short block
            }
            if (buffered != null) {
                buffered.copyTo(dst, done, within, chunk);
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
    private byte[] part(int index, int within, int n, Fills fills) {
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
            if (fills != null) {
                fills.offer((long) index * blockSize + from, fetched);
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

    /** Where the pieces a read of [askedFrom, askedTo) of {@code file} fetches go besides the reader: the kernel's page cache. */
    private record Fills(OpenFile file, KernelPages kernel, long askedFrom, long askedTo) {
        /** Called holding the file's lock. */
        void offer(long offset, byte[] data) {
            kernel.offer(file, file.changes, file.size, offset, data, askedFrom, askedTo);
        }
    }

    /** Called holding the lock: fills for a read of [offset, offset + n), or null when none may go. */
    private Fills fills(KernelPages kernel, long offset, int n) {
        return unchangeableHere() ? new Fills(this, kernel, offset, offset + n) : null;
    }

    /** Called holding the lock: no handle of this mount can write the file, nothing of it is buffered or being written. */
    private boolean unchangeableHere() {
        return writableHandles.isEmpty() && dirty.isEmpty() && inFlight.isEmpty();
    }

    /** The verified bytes of block {@code index} (empty for a hole), and the next ones fetched ahead. */
    private byte[] block(int index) {
        byte[] held = whole.get(index);
        if (held == null) {
            boolean sequential = index == whole.latestIndex() + 1;
            Future<byte[]> early = ahead.remove(index);
            held = early != null ? aheadResult(index, early) : fetch(index);
            whole.take(index, held);
            if (!sequential) {
                dropReadAhead();
                return held;
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
        return held;
    }

    private byte[] fetch(int index) {
        Optional<BlockStatus> status = map.get(index);
        if (status.isEmpty()) {
            return new byte[0];
        }
        Mediator.EarlyRead begun = index == 0 ? early.getAndSet(null) : null;
        if (begun != null) {
            Optional<byte[]> bytes = begun.bytesIf(status.get());
            if (bytes.isPresent()) {
                return bytes.get();
            }
        }
        return mediator.readBlock(ino, status.get());
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
        whole.forget(index);
        Future<byte[]> f = ahead.remove(index);
        if (f != null) {
            f.cancel(false);
        }
    }

    private void dropReadAhead() {
        ahead.values().forEach(f -> f.cancel(false));
        ahead.clear();
    }

    /**
     * Writes every dirty block once and waits for all writes; then throws the first failure not yet
     * told to {@code handle} (one whose bytes it wrote), if any.
     */
    synchronized void flush(long handle) {
        if (dirty.size() == 1 && inFlight.isEmpty()) {
            // One block (a small file's close): written from this thread, which would only wait
            // for it; two thread hand-offs fewer per file.
            writeOut(dirty.firstKey(), true);
        }
        for (Integer index : List.copyOf(dirty.keySet())) {
            writeOut(index);
        }
        for (Integer index : List.copyOf(inFlight.keySet())) {
            awaitInFlight(index);
        }
        deliver(handle);
    }

    /**
     * {@link #flush}, as a change of the mount that covers every commit of this file so far;
     * returns the file's attributes as the meta-server answered this flush's last commit, when
     * this flush committed and no other commit of the file ran beside it (a write's close can then
     * answer the stat that follows it without asking); empty otherwise.
     */
    synchronized Optional<Attributes> flushAndTell(long handle) {
        long startedBefore = commitsStarted;
        flush(handle);
        synchronized (committing) {
            untold = 0;
        }
        Committed last = lastAlone;
        return last != null && last.seq() > startedBefore && dirty.isEmpty() && inFlight.isEmpty()
                ? Optional.of(last.attributes()) : Optional.empty();
    }

    /**
     * Whether bytes written here are buffered or on their way, or were committed since the last
     * {@link #flushAndTell}: then a flush or release changes the file's size and times.
     */
    synchronized boolean unsettled() {
        synchronized (committing) {
            return !dirty.isEmpty() || !inFlight.isEmpty() || untold > 0;
        }
    }

    /**
     * Whether bytes written here wait in the buffer: their commit is still to come, and will set
     * the file's mtime and ctime (unless the write fails).
     */
    synchronized boolean commitAhead() {
        return !dirty.isEmpty();
    }

    synchronized void truncate(long handle, long newSize) {
        changes++;
        awaitFills();
        flush(handle);
        if (!dirty.isEmpty()) {
            throw new FsException(ErrorCode.IO, "buffered writes of inode " + ino + " could not be written out");
        }
        map.clear();
        size = mediator.truncate(ino, newSize).size();
        whole.clear();
        dropReadAhead();
    }

    /**
     * Sends a dirty block to the mediator in the background. An earlier write of the same block
     * must land first (the later one may only merge onto it), and at most a few are in flight.
     */
    private void writeOut(int index) {
        writeOut(index, false);
    }

    /** {@link #writeOut}, run by the calling thread when {@code here}. */
    private void writeOut(int index, boolean here) {
        awaitInFlight(index);
        while (inFlight.size() >= MAX_IN_FLIGHT) {
            awaitInFlight(inFlight.keySet().iterator().next());
        }
        DirtyBlock block = dirty.remove(index);
        if (block == null) {
            return; // nothing buffered for it
        }
        budget.refund();
        budget.startWrite();
        long seq = ++commitsStarted;
        FutureTask<Void> write = new FutureTask<>(() -> {
            try {
                writeNow(index, block, seq);
            } finally {
                budget.endWrite();
            }
            return null;
        });
        if (!here) {
            try {
                io.execute(write);
            } catch (RejectedExecutionException e) {
                budget.endWrite(); // the mount is closing: the write never runs
                throw e;
            }
        }
        inFlight.put(index, new InFlight(block, write)); // its outcome is taken under this file's lock
        if (here) {
            write.run();
        }
    }

    /** The block write {@link #writeOut} sends to the background: store, then commit. */
    private void writeNow(int index, DirtyBlock block, long seq) {
        boolean alone;
        synchronized (committing) {
            alone = ++committing[0] == 1;
        }
        Mediator.BlockWrite w = null;
        try {
            w = mediator.writeBlock(ino, index, block, block.ranges, () -> map.get(index));
            map.committed(w.block());
            committed.accept(ino);
        } finally {
            // Under the lock its start took: a commit that starts after this one ended also
            // records its answer after this one's.
            synchronized (committing) {
                alone &= --committing[0] == 0;
                if (w != null) {
                    untold++;
                    if (alone) {
                        lastAlone = new Committed(seq, w.attributes());
                    }
                }
            }
        }
    }

    private record InFlight(DirtyBlock block, Future<?> future) {
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

    /**
     * Waits for the in-flight write of block {@code index}, if any. A failure is kept for the
     * handles that wrote the block's bytes, and the bytes go back to the buffer.
     */
    private void awaitInFlight(int index) {
        InFlight f = inFlight.get(index);
        if (f == null) {
            return;
        }
        try {
            f.future().get();
            inFlight.remove(index);
            forgetCached(index); // a new version is committed
            undelivered.values().removeIf(failed -> failed.remove(index) != null && failed.isEmpty());
        } catch (ExecutionException e) {
            inFlight.remove(index);
            Throwable cause = e.getCause();
            FsException failure = cause instanceof FsException fs ? fs
                    : new FsException(ErrorCode.IO, "block write failed: " + cause, cause);
            map.clear(); // whether the block's commit landed is not known
            putBack(index, f.block(), failure);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsException(ErrorCode.IO, "interrupted");
        }
    }

    /** A block whose write failed returns to the buffer, under what was written since. */
    private void putBack(int index, DirtyBlock failed, FsException failure) {
        failed.writers.retainAll(handles);
        if (failed.writers.isEmpty()) {
            log.error("inode {}: block {} could not be written and no handle that wrote it is open: {}",
                    ino, index, failure.getMessage());
            return;
        }
        log.warn("inode {}: block {} could not be written, kept for a retry and told to its writers: {}",
                ino, index, failure.getMessage());
        for (long h : failed.writers) {
            undelivered.computeIfAbsent(h, k -> new TreeMap<>()).putIfAbsent(index, failure);
        }
        DirtyBlock newer = dirty.put(index, failed);
        if (newer != null) {
            failed.overlay(newer);
        } else {
            budget.charge();
        }
    }

    /** Throws, once, a block write failure that {@code handle}'s bytes were part of. */
    private void deliver(long handle) {
        TreeMap<Integer, FsException> failed = undelivered.remove(handle);
        if (failed != null) {
            throw failed.firstEntry().getValue();
        }
    }
}
