package org.quorumfs.dataserver;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Replica files keep the names java.util.Formatter gave them: existing data directories stay readable. */
class ReplicaNameTest {
    @Test
    void replicaName_isWhatFormatWrote_forExtremesAndRandomValues() {
        long[] longs = {0, 1, 15, 16, Long.MAX_VALUE, Long.MIN_VALUE, -1L, 0x0123456789abcdefL};
        int[] ints = {0, 1, 9, 10, 999_999_999, Integer.MAX_VALUE};
        for (long ino : longs) {
            for (int index : ints) {
                for (long version : longs) {
                    assertThat(ReplicaStore.replicaName(ino, index, version))
                            .isEqualTo(String.format("%016x.%010d.%016x", ino, index, version));
                }
            }
        }
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            long ino = random.nextLong();
            int index = random.nextInt(Integer.MAX_VALUE);
            long version = random.nextLong();
            assertThat(ReplicaStore.replicaName(ino, index, version))
                    .isEqualTo(String.format("%016x.%010d.%016x", ino, index, version));
        }
    }

    @Test
    void bucketName_isWhatFormatWrote() {
        for (long bucket : new long[]{0, 1, 0xfff, 0xffff_ffff_ffffL, 0x1_0000_0000_0000L, -1L >>> 12}) {
            assertThat(ReplicaStore.bucketName(bucket)).isEqualTo(String.format("%012x", bucket));
        }
    }
}
