package org.quorumfs.mediator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.mediator.testing.MiniCluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads of part of a block: only its pieces move, every byte is verified, anything bad is read whole and repaired. */
class PieceReadIT {
    private static final int BLOCK = 4 * Limits.PIECE_SIZE;

    @TempDir
    Path dir;
    private MiniCluster cluster;
    private Mediator mediator;
    private long ino;
    private byte[] data;

    @BeforeEach
    void start() throws IOException {
        cluster = MiniCluster.start(dir, 4, BLOCK);
        mediator = cluster.mediator(2, 2);
        ino = mediator.create(MetaService.ROOT, "f", 0644, 0, 0).ino();
        data = new byte[BLOCK - 1000];
        new Random(7).nextBytes(data);
        mediator.write(ino, 0, data);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private BlockStatus status() {
        return mediator.blocks(ino, 0, 1).get(0);
    }

    @Test
    void aSmallRead_movesOnlyItsPieces_andReturnsExactlyTheRange() {
        byte[] got = mediator.readRange(ino, status(), Limits.PIECE_SIZE - 100, 4096);
        assertThat(got).isEqualTo(Arrays.copyOfRange(data, Limits.PIECE_SIZE - 100, Limits.PIECE_SIZE + 3996));
        assertThat(mediator.readRange(ino, status(), data.length - 10, 4096))
                .isEqualTo(Arrays.copyOfRange(data, data.length - 10, data.length));
        assertThat(mediator.readRange(ino, status(), data.length + 10, 4096)).isEmpty();
        assertThat(mediator.stats().pieceReads()).isEqualTo(2);
        assertThat(mediator.stats().blockReads()).isZero();
    }

    @Test
    void aPieceCorruptedOnAllButOneServer_neverReachesTheReader_andEveryReplicaIsRepaired() throws IOException {
        BlockStatus st = status();
        long version = st.block().version();
        int at = 2 * Limits.PIECE_SIZE + 123;
        for (int i = 0; i < 3; i++) {
            Path replica = cluster.replica(i, ino, 0, version);
            byte[] bytes = Files.readAllBytes(replica);
            bytes[at] ^= 0x55; // same length, one wrong byte: only the piece MD5 can tell
            Files.write(replica, bytes);
        }
        for (int r = 0; r < 4; r++) { // the rotation asks every pair of servers in turn
            assertThat(mediator.readRange(ino, st, at - 10, 100)).isEqualTo(Arrays.copyOfRange(data, at - 10, at + 90));
        }
        assertThat(mediator.stats().repairs()).isGreaterThanOrEqualTo(3);
        for (int i = 0; i < 4; i++) {
            assertThat(Files.readAllBytes(cluster.replica(i, ino, 0, version))).isEqualTo(data);
        }
    }

    @Test
    void withAServerDown_smallReadsStillAnswerFromTheOthers() {
        cluster.kill(1);
        cluster.kill(2);
        for (int r = 0; r < 4; r++) {
            int at = r * Limits.PIECE_SIZE + 5;
            assertThat(mediator.readRange(ino, status(), at, 10)).isEqualTo(Arrays.copyOfRange(data, at, at + 10));
        }
    }
}
