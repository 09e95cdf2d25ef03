package org.quorumfs.client;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import jnr.ffi.Pointer;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.mediator.Mediator;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The bytes written into one block since it was last written out, and which handles wrote them.
 * A block a streaming writer fills from its start is one array, grown as the bytes come (a small
 * file's one write makes an array of its size); any other is kept in pieces of
 * {@link Limits#PIECE_SIZE}, each made at the first write into it. One array of a whole block
 * (1 MiB and its header) is a "humongous" object to G1, which gives it two of the client's 1 MiB
 * heap regions: a random writer's 100 dirty blocks took 200 MiB of a 240 MiB heap (and writes
 * failed with OutOfMemoryError), in pieces they take 100 MiB, and a block with a few 4 KiB writes
 * in it a piece per write. A streaming writer's blocks live only until their write is done, and
 * G1 frees dead humongous arrays at the next young collection, where pieces would be copied and
 * promoted first: its blocks stay whole.
 */
final class DirtyBlock implements Mediator.BufferedBytes {
    /** {@link Limits#PIECE_SIZE} (or the block size when a block is smaller), or the whole block. */
    private final int piece;
    private final boolean streamed;
    private final byte[][] pieces;
    final RangeSet<Integer> ranges = TreeRangeSet.create();
    final Set<Long> writers = new HashSet<>();
    long lastWrite;

    /** A block of {@code blockSize} bytes, held in one array when {@code streamed}, else in pieces. */
    DirtyBlock(int blockSize, boolean streamed) {
        this.streamed = streamed;
        piece = streamed ? blockSize : Math.min(Limits.PIECE_SIZE, blockSize);
        pieces = new byte[(blockSize + piece - 1) / piece][];
    }

    /** Takes {@code n} bytes of {@code src} at {@code srcOffset} as the block's [within, within + n). */
    void put(Pointer src, long srcOffset, int within, int n, long seq, long handle) {
        lastWrite = seq;
        writers.add(handle);
        for (int done = 0; done < n; ) {
            int at = within + done;
            int len = Math.min(n - done, piece - at % piece);
            src.get(srcOffset + done, pieceFor(at, len), at % piece, len);
            done += len;
        }
        ranges.add(Range.closedOpen(within, within + n));
    }

    /** Lays {@code newer}'s bytes over these. */
    void overlay(DirtyBlock newer) {
        for (Range<Integer> r : newer.ranges.asRanges()) {
            for (int at = r.lowerEndpoint(); at < r.upperEndpoint(); ) {
                int len = Math.min(r.upperEndpoint() - at,
                        Math.min(piece - at % piece, newer.piece - at % newer.piece));
                System.arraycopy(newer.pieces[at / newer.piece], at % newer.piece, pieceFor(at, len), at % piece, len);
                at += len;
            }
            ranges.add(r);
        }
        writers.addAll(newer.writers);
        lastWrite = Math.max(lastWrite, newer.lastWrite);
    }

    /** Copies the buffered bytes of [{@code within}, {@code within + n}) to {@code dst} at {@code at}. */
    void copyTo(Pointer dst, long at, int within, int n) {
        for (Range<Integer> r : ranges.subRangeSet(Range.closedOpen(within, within + n)).asRanges()) {
            for (int from = r.lowerEndpoint(); from < r.upperEndpoint(); ) {
                int len = Math.min(r.upperEndpoint() - from, piece - from % piece);
                dst.put(at + from - within, pieces[from / piece], from % piece, len);
                from += len;
            }
        }
    }

    @Override
    public void copy(int from, int to, byte[] dst) {
        while (from < to) {
            int len = Math.min(to - from, piece - from % piece);
            System.arraycopy(pieces[from / piece], from % piece, dst, from, len);
            from += len;
        }
    }

    boolean covers(int blockSize) {
        return ranges.encloses(Range.closedOpen(0, blockSize));
    }

    /** The bytes of the arrays holding this block's buffered bytes. */
    long heldBytes() {
        long held = 0;
        for (byte[] p : pieces) {
            held += p == null ? 0 : p.length;
        }
        return held;
    }

    /** The array that holds [{@code at}, {@code at + len}), which lies within one piece, made or grown to hold it. */
    private byte[] pieceFor(int at, int len) {
        int i = at / piece;
        byte[] p = pieces[i];
        if (streamed) {
            int end = at + len;
            if (p == null || p.length < end) {
                // doubling, but never past the block (doubling 0.9 MiB made 1.8 MiB of a 1 MiB block)
                p = p == null ? new byte[end] : Arrays.copyOf(p, Math.max(end, Math.min(p.length * 2, piece)));
                pieces[i] = p;
            }
        } else if (p == null) {
            p = new byte[piece];
            pieces[i] = p;
        }
        return p;
    }
}
