package org.quorumfs.client;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.quorumfs.common.protocol.Limits;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** A dirty block against a model: one array of the block and the set of ranges written. */
class DirtyBlockTest {
    private static final Runtime RUNTIME = Runtime.getSystemRuntime();
    private static final int MIB = 1 << 20;

    @ParameterizedTest(name = "block of {0} bytes, streamed: {1}")
    @CsvSource({"1048576,false", "1048576,true", "100000,false", "100000,true", "4096,false"})
    void randomWritesOverlaysAndCopies_matchTheModel(int blockSize, boolean streamed) {
        Random random = new Random(blockSize);
        for (int round = 0; round < 30; round++) {
            Model older = new Model(blockSize, streamed);
            Model newer = new Model(blockSize, !streamed);
            for (int i = random.nextInt(12); i >= 0; i--) {
                older.write(random, i);
            }
            for (int i = random.nextInt(4); i >= 0; i--) {
                newer.write(random, 100 + i);
            }
            older.block.overlay(newer.block);
            older.overlay(newer);
            older.check(random);
        }
    }

    @Test
    void aFewSmallWrites_holdAPieceEach_notAnArrayToTheFurthest() {
        DirtyBlock block = new DirtyBlock(MIB, false);
        Pointer src = Memory.allocateDirect(RUNTIME, 4096, true);
        block.put(src, 0, 900 << 10, 4096, 1, 7);
        block.put(src, 0, 10 << 10, 4096, 2, 7);
        block.put(src, 0, (900 << 10) + 8192, 4096, 3, 7);
        assertThat(block.heldBytes()).isEqualTo(2L * Limits.PIECE_SIZE);
        assertThat(block.covers(MIB)).isFalse();
        assertThat(block.writers).containsExactly(7L);
        assertThat(block.lastWrite).isEqualTo(3);
    }

    @Test
    void aBlockWrittenInOrder_holdsWhatWasWrittenAndNoMore_inPiecesOrNot() {
        for (boolean streamed : new boolean[] {false, true}) {
            DirtyBlock block = new DirtyBlock(MIB, streamed);
            Pointer src = Memory.allocateDirect(RUNTIME, MIB, true);
            block.put(src, 0, 0, 4096, 1, 1);
            assertThat(block.heldBytes()).as("a small file's one write").isEqualTo(streamed ? 4096 : Limits.PIECE_SIZE);
            block.put(src, 4096, 4096, MIB / 2 - 4096, 1, 1);
            assertThat(block.heldBytes()).isEqualTo(MIB / 2);
            block.put(src, MIB / 2, MIB / 2, MIB / 2, 2, 1);
            assertThat(block.covers(MIB)).isTrue();
            assertThat(block.heldBytes()).isEqualTo(MIB);
        }
    }

    /** A dirty block and what it should hold. */
    private static final class Model {
        final int blockSize;
        final DirtyBlock block;
        final byte[] bytes;
        final RangeSet<Integer> written = TreeRangeSet.create();

        Model(int blockSize, boolean streamed) {
            this.blockSize = blockSize;
            this.block = new DirtyBlock(blockSize, streamed);
            this.bytes = new byte[blockSize];
        }

        void write(Random random, long handle) {
            int within = random.nextInt(blockSize);
            int n = 1 + random.nextInt(Math.min(blockSize - within, random.nextBoolean() ? 9000 : blockSize));
            byte[] data = new byte[n];
            random.nextBytes(data);
            int srcOffset = random.nextInt(64);
            Pointer src = Memory.allocateDirect(RUNTIME, srcOffset + n, true);
            src.put(srcOffset, data, 0, n);
            block.put(src, srcOffset, within, n, handle, handle);
            System.arraycopy(data, 0, bytes, within, n);
            written.add(Range.closedOpen(within, within + n));
        }

        void overlay(Model newer) {
            for (Range<Integer> r : newer.written.asRanges()) {
                System.arraycopy(newer.bytes, r.lowerEndpoint(), bytes, r.lowerEndpoint(),
                        r.upperEndpoint() - r.lowerEndpoint());
            }
            written.addAll(newer.written);
        }

        void check(Random random) {
            assertThat(block.ranges).isEqualTo(written);
            // what a block write copies out
            byte[] out = new byte[blockSize];
            for (Range<Integer> r : written.asRanges()) {
                block.copy(r.lowerEndpoint(), r.upperEndpoint(), out);
            }
            byte[] expected = new byte[blockSize];
            for (Range<Integer> r : written.asRanges()) {
                System.arraycopy(bytes, r.lowerEndpoint(), expected, r.lowerEndpoint(), r.upperEndpoint() - r.lowerEndpoint());
            }
            assertThat(out).isEqualTo(expected);
            // what a read copies out: only buffered bytes land, the rest of the destination stays
            for (int i = 0; i < 5; i++) {
                int within = random.nextInt(blockSize);
                int n = 1 + random.nextInt(blockSize - within);
                Pointer dst = Memory.allocateDirect(RUNTIME, n + 16, true);
                byte[] filler = new byte[n + 16];
                Arrays.fill(filler, (byte) 0x5a);
                dst.put(0, filler, 0, filler.length);
                block.copyTo(dst, 16, within, n);
                byte[] got = new byte[n];
                dst.get(16, got, 0, n);
                for (int k = 0; k < n; k++) {
                    byte want = written.contains(within + k) ? bytes[within + k] : 0x5a;
                    assertThat(got[k]).as("byte %d of a read at %d", k, within).isEqualTo(want);
                }
            }
            int piece = Math.min(Limits.PIECE_SIZE, blockSize);
            long wholePieces = (blockSize + piece - 1) / piece;
            assertThat(block.heldBytes()).isLessThanOrEqualTo(wholePieces * piece);
        }
    }
}
