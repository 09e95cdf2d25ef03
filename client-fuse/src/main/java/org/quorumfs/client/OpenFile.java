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
import java.util.List;
import java.util.TreeMap;

/**
 * One open regular file, shared by every handle this mount has on it. Writes are gathered per block
 * and written through the mediator when a block is full, when too many blocks are dirty, and on
 * flush, fsync and release; so memory stays bounded whatever the file's size. Reads see this
 * mount's own writes (dirty blocks in the range are written first) and keep the last verified
 * block, so sequential reads fetch each block once. Data written by other mounts is seen at the
 * next open (close-to-open consistency, as NFS).
 */
final class OpenFile {
    /** Dirty blocks kept per file before the oldest are written out. */
    static final int MAX_DIRTY_BLOCKS = 8;

    private final long ino;
    private final Mediator mediator;
    private final int blockSize;
    private final TreeMap<Integer, DirtyBlock> dirty = new TreeMap<>();
    private long size;
    private int cachedIndex = -1;
    private byte[] cached;
    private int handles;

    OpenFile(long ino, long size, Mediator mediator) {
        this.ino = ino;
        this.size = size;
        this.mediator = mediator;
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

    synchronized int write(long offset, Pointer src, int length) {
        if (offset < 0) {
            throw FsException.invalid("negative offset");
        }
        if (offset + length > mediator.maxFileSize()) {
            throw new FsException(ErrorCode.FILE_TOO_LARGE, "write past the largest file");
        }
        if (dirty.isEmpty() && !mediator.writeQuorumReachable()) {
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
            if (index == cachedIndex) {
                cachedIndex = -1;
                cached = null;
            }
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
        int done = 0;
        while (done < n) {
            long pos = offset + done;
            int index = (int) (pos / blockSize);
            int within = (int) (pos % blockSize);
            int chunk = Math.min(blockSize - within, n - done);
            byte[] data = block(index, last);
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

    /** The verified bytes of block {@code index} (empty for a hole), fetching up to {@code last} at once. */
    private byte[] block(int index, int last) {
        if (index != cachedIndex) {
            List<BlockStatus> blocks = mediator.blocks(ino, index, 1);
            cached = blocks.isEmpty() ? new byte[0] : mediator.readBlock(ino, blocks.get(0));
            cachedIndex = index;
        }
        return cached;
    }

    /** Writes every dirty block; the first failure is thrown after the others were tried. */
    synchronized void flush() {
        FsException failure = null;
        while (!dirty.isEmpty()) {
            int index = dirty.firstKey();
            try {
                writeOut(index);
            } catch (FsException e) {
                dirty.remove(index);
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    synchronized void truncate(long newSize) {
        flush();
        size = mediator.truncate(ino, newSize).size();
        cachedIndex = -1;
        cached = null;
    }

    private void writeOut(int index) {
        DirtyBlock block = dirty.get(index);
        mediator.writeBlock(ino, index, block.data, block.ranges);
        dirty.remove(index);
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
