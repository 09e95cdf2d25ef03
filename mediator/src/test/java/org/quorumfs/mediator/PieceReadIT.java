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

/**
 * Reads verified piece by piece: a part of a block moves only its pieces, a whole block comes a
 * share of its pieces from each of Qr servers; every byte is verified, anything bad is read whole
 * and repaired.
 */
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

    /** Flips one byte in piece {@code piece} of server {@code i}'s replica: only that piece's MD5 can tell. */
    private void flip(int i, int piece, long version) throws IOException {
        Path replica = cluster.replica(i, ino, 0, version);
        byte[] bytes = Files.readAllBytes(replica);
        bytes[piece * Limits.PIECE_SIZE + 77] ^= 0x55;
        Files.write(replica, bytes);
    }

    @Test
    void aWholeBlock_comesAShareOfItsPiecesFromEachOfQrServers() throws IOException {
        long version = status().block().version();
        // The servers the read asks, in the order it asks them (the rotation starts at ino + index).
        int first = (int) (ino % cluster.size());
        int second = (first + 1) % cluster.size();
        // Each is damaged only outside the pieces it is asked for (the first sends pieces 0-1, the
        // second 2-3): were either asked for the whole replica, or to vouch for all of it, the read
        // would see the damage and take the whole-block path.
        flip(first, 3, version);
        flip(second, 0, version);
        assertThat(mediator.readBlock(ino, status())).isEqualTo(data);
        assertThat(mediator.stats().sharedReads()).isEqualTo(1);
        assertThat(mediator.stats().blockReads()).isEqualTo(1);
        assertThat(mediator.stats().badReplicasSeen()).isZero();
        // Damage outside a server's share is the scrub's to find: a read of every replica in full
        // sees both, widens to the good ones and rewrites the two.
        assertThat(mediator.readAndRepair(ino, status())).isEqualTo(data);
        assertThat(mediator.stats().repairs()).isEqualTo(2);
        for (int i = 0; i < cluster.size(); i++) {
            assertThat(Files.readAllBytes(cluster.replica(i, ino, 0, version))).isEqualTo(data);
        }
    }

    @Test
    void aBadShare_sendsTheReadDownTheWholeBlockPath_whichRepairsEveryReplicaItSees() throws IOException {
        long version = status().block().version();
        for (int i = 0; i < 3; i++) {
            for (int piece = 0; piece < 4; piece++) {
                flip(i, piece, version); // every share of three servers is bad, wherever the rotation starts
            }
        }
        assertThat(mediator.readBlock(ino, status())).isEqualTo(data);
        assertThat(mediator.stats().sharedReads()).isZero();
        assertThat(mediator.stats().repairs()).isEqualTo(3);
        for (int i = 0; i < cluster.size(); i++) {
            assertThat(Files.readAllBytes(cluster.replica(i, ino, 0, version))).isEqualTo(data);
        }
    }

    @Test
    void withAServerDown_wholeBlocksStillComeFromTheOthers() {
        cluster.kill((int) (ino % cluster.size())); // the first server a shared read would ask
        for (int r = 0; r < 3; r++) {
            assertThat(mediator.readBlock(ino, status())).isEqualTo(data);
        }
        // The first read found the server down; the next ones share the block among two others.
        assertThat(mediator.stats().sharedReads()).isGreaterThanOrEqualTo(1);
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
