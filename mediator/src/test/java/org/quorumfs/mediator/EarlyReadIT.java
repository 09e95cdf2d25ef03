package org.quorumfs.mediator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.ListedEntry;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.mediator.testing.MiniCluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A small file read on a listing's word while its open is on the way: the bytes count only if the
 * open confirms the same block, and they are verified like any read's.
 */
class EarlyReadIT {
    @TempDir
    Path dir;
    private MiniCluster cluster;
    private Mediator mediator;
    private long ino;
    private byte[] data;

    @BeforeEach
    void start() throws IOException {
        cluster = MiniCluster.start(dir, 3);
        mediator = cluster.mediator(2, 2);
        ino = mediator.create(MetaService.ROOT, "small", 0644, 0, 0).ino();
        data = bytes(4096, 1);
        mediator.write(ino, 0, data);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private Map<String, ListedEntry> listing() {
        return mediator.readdirPlus(MetaService.ROOT).stream().collect(Collectors.toMap(ListedEntry::name, e -> e));
    }

    private BlockStatus committed() {
        return mediator.blocks(ino, 0, 1).get(0);
    }

    @Test
    void aListing_carriesTheBlockOfSmallFilesOnly() {
        long big = mediator.create(MetaService.ROOT, "big", 0644, 0, 0).ino();
        mediator.write(big, 0, bytes(ListedEntry.SMALL_FILE_BYTES + 1, 2));
        mediator.create(MetaService.ROOT, "empty", 0644, 0, 0);
        mediator.mkdir(MetaService.ROOT, "dir", 0755, 0, 0);

        Map<String, ListedEntry> l = listing();
        assertThat(l.get("small").firstBlock()).isEqualTo(committed().block());
        assertThat(l.get("big").firstBlock()).isNull();
        assertThat(l.get("empty").firstBlock()).isNull();
        assertThat(l.get("dir").firstBlock()).isNull();
    }

    @Test
    void aConfirmedGuess_givesTheBytes_withoutAnotherRead() {
        BlockRecord guess = listing().get("small").firstBlock();
        Mediator.EarlyRead early = mediator.readEarly(ino, guess);
        assertThat(early.bytesIf(committed())).contains(data);
        assertThat(mediator.stats().earlyReads()).isEqualTo(1);
        assertThat(mediator.stats().blockReads()).isZero();
    }

    @Test
    void aGuessOverwrittenBeforeTheOpen_isNotUsed_evenWhileItsReplicasRemain() throws Exception {
        BlockRecord guess = listing().get("small").firstBlock();
        byte[][] old = new byte[cluster.size()][];
        for (int i = 0; i < cluster.size(); i++) {
            old[i] = Files.readAllBytes(cluster.replica(i, ino, 0, guess.version()));
        }
        byte[] newer = bytes(4096, 3); // same length: only the record tells them apart
        mediator.write(ino, 0, newer);
        for (int i = 0; i < cluster.size(); i++) { // as if pruning the old version had not happened yet
            Path replica = cluster.replica(i, ino, 0, guess.version());
            for (int t = 0; t < 100 && Files.exists(replica); t++) {
                Thread.sleep(20); // the prune after the commit runs in the background
            }
            Files.write(replica, old[i]);
        }

        assertThat(mediator.readEarly(ino, guess).bytesIf(committed())).isEmpty();
        assertThat(mediator.readBlock(ino, committed())).isEqualTo(newer);
        assertThat(mediator.stats().earlyReads()).isZero();
        // The old replicas were there to be read: only the open's record kept them out.
        assertThat(mediator.readEarly(ino, guess).bytesIf(new BlockStatus(guess, List.of()))).contains(data);
    }

    @Test
    void replicasThatDisagreeWithTheRecord_giveNoBytes() throws IOException {
        BlockRecord guess = listing().get("small").firstBlock();
        for (int i = 0; i < cluster.size(); i++) {
            Path replica = cluster.replica(i, ino, 0, guess.version());
            byte[] b = Files.readAllBytes(replica);
            b[100] ^= 1;
            Files.write(replica, b);
        }
        assertThat(mediator.readEarly(ino, guess).bytesIf(committed())).isEmpty();
        assertThat(mediator.stats().earlyReads()).isZero();
    }

    @Test
    void withAServerDown_theGuessIsStillReadFromTheOthers_orNotUsed() {
        BlockRecord guess = listing().get("small").firstBlock();
        cluster.kill(0);
        for (int i = 0; i < 6; i++) {
            // Either verified bytes (the two live servers were asked) or nothing: never an error.
            mediator.readEarly(ino, guess).bytesIf(committed()).ifPresent(b -> assertThat(b).isEqualTo(data));
            assertThat(mediator.readBlock(ino, committed())).isEqualTo(data);
        }
    }
}
