package org.quorumfs.mediator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.mediator.testing.MiniCluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The seed report's tests 1–3 and its evaluation table, N=4, Qr=2, Qw=2, through the mediator. */
class SeedScenariosIT {
    private static final String FILE1 = "This is file1\n";

    @TempDir
    Path dir;
    private MiniCluster cluster;
    private Mediator mediator;

    @BeforeEach
    void start() throws IOException {
        cluster = MiniCluster.start(dir, 4);
        mediator = cluster.mediator(2, 2);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private long file(String name, String content) {
        long ino = mediator.create(MetaService.ROOT, name, 0644, 0, 0).ino();
        mediator.write(ino, 0, content.getBytes(StandardCharsets.UTF_8));
        return ino;
    }

    private String read(long ino) {
        return new String(mediator.read(ino, 0, 1 << 20), StandardCharsets.UTF_8);
    }

    private BlockRecord block0(long ino) {
        return mediator.blocks(ino, 0, 1).get(0).block();
    }

    private String replica(int server, long ino, BlockRecord b) throws IOException {
        Path p = cluster.replica(server, ino, b.index(), b.version());
        return Files.exists(p) ? Files.readString(p) : "<missing>";
    }

    @ParameterizedTest(name = "{0} of 4 replicas corrupted, read-all (seed) mode")
    @ValueSource(ints = {1, 2, 3})
    void corruptedReplicas_readRight_andAreAllRepaired_inReadAllMode(int corrupted) throws IOException {
        Mediator seed = cluster.mediator(cluster.config(2, 2).withSeedModes(false, true));
        long ino = file("file1", FILE1);
        BlockRecord b = block0(ino);
        for (int i = 0; i < corrupted; i++) {
            cluster.corrupt(i, ino, 0, b.version());
        }

        assertThat(new String(seed.read(ino, 0, 100), StandardCharsets.UTF_8)).isEqualTo(FILE1);

        for (int i = 0; i < 4; i++) {
            assertThat(replica(i, ino, b)).as("replica on server %d", i).isEqualTo(FILE1);
        }
        assertThat(seed.stats().repairs()).isEqualTo(corrupted);
    }

    @ParameterizedTest(name = "server {0} corrupted, default mode")
    @ValueSource(ints = {0, 1, 2, 3})
    void corruptedReplica_readRight_andRepairedWhenTheReadSeesIt(int server) throws IOException {
        long ino = file("file1", FILE1);
        BlockRecord b = block0(ino);
        cluster.corrupt(server, ino, 0, b.version());

        assertThat(read(ino)).isEqualTo(FILE1);

        boolean seen = mediator.stats().badReplicasSeen() > 0;
        assertThat(replica(server, ino, b)).isEqualTo(seen ? FILE1 : "This file is corrupted");
        assertThat(mediator.stats().repairs()).isEqualTo(seen ? 1 : 0);
    }

    @Test
    void test1_corruptTwoThenThree_catStaysRight_andEveryReplicaIsRepaired() throws IOException {
        long ino = file("file1", FILE1);
        BlockRecord b = block0(ino);
        cluster.corrupt(0, ino, 0, b.version());
        cluster.corrupt(2, ino, 0, b.version());
        assertThat(read(ino)).isEqualTo(FILE1);

        cluster.corrupt(0, ino, 0, b.version());
        cluster.corrupt(2, ino, 0, b.version());
        cluster.corrupt(3, ino, 0, b.version());
        assertThat(read(ino)).isEqualTo(FILE1);

        for (int i = 0; i < 4; i++) {
            assertThat(replica(i, ino, b)).isEqualTo(FILE1);
        }
    }

    @Test
    void allReplicasCorrupted_isEio_neverWrongBytes() {
        long ino = file("file1", FILE1);
        BlockRecord b = block0(ino);
        for (int i = 0; i < 4; i++) {
            cluster.corrupt(i, ino, 0, b.version());
        }
        assertThatThrownBy(() -> read(ino)).isInstanceOfSatisfying(FsException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.IO));
    }

    @ParameterizedTest(name = "{0} of 4 servers killed")
    @ValueSource(ints = {0, 1, 2, 3, 4})
    void killedServers_readWorksWhileQrAnswer_elseEioPromptly(int killed) {
        long ino = file("file1", FILE1);
        for (int i = 0; i < killed; i++) {
            cluster.kill(i);
        }
        long start = System.nanoTime();
        if (4 - killed >= 2) {
            assertThat(read(ino)).isEqualTo(FILE1);
        } else {
            assertThatThrownBy(() -> read(ino)).isInstanceOfSatisfying(FsException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.IO));
            assertThat(mediator.stats().quorumFailures()).isPositive();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void test3_restartedServer_isHealedOnTheNextRead() throws IOException {
        long ino = file("file1", "old contents\n");
        cluster.kill(1);
        mediator.write(ino, 0, FILE1.getBytes(StandardCharsets.UTF_8));
        BlockRecord b = block0(ino);
        assertThat(replica(1, ino, b)).isEqualTo("<missing>");

        cluster.restart(1);
        Awaits.pastBackoff();
        assertThat(read(ino)).isEqualTo(FILE1);

        assertThat(replica(1, ino, b)).isEqualTo(FILE1);
    }

    /** The seed's table "Return values for GET under various conditions", row by row. */
    @Test
    void evaluationTable_rowByRow() throws IOException {
        long ino = file("file1", "v1\n");
        // 1. GET with 4 servers good: ok.
        assertThat(read(ino)).isEqualTo("v1\n");
        // 2. stop servers 1 and 2.
        cluster.kill(0);
        cluster.kill(1);
        // 3. PUT: ok, stored on the 2 running servers.
        mediator.write(ino, 0, "v2\n".getBytes(StandardCharsets.UTF_8));
        BlockRecord v2 = block0(ino);
        assertThat(goodReplicas(ino, v2)).isEqualTo(2);
        // 4. server 1 restarted.
        cluster.restart(0);
        Awaits.pastBackoff();
        // 5. PUT: reaches 3 servers.
        mediator.write(ino, 0, "v3\n".getBytes(StandardCharsets.UTF_8));
        BlockRecord v3 = block0(ino);
        assertThat(goodReplicas(ino, v3)).isEqualTo(3);
        // 6. server 2 restarted.
        cluster.restart(1);
        Awaits.pastBackoff();
        // 7. GET: ok, and the 4th server is corrected from good data.
        assertThat(read(ino)).isEqualTo("v3\n");
        assertThat(goodReplicas(ino, v3)).isEqualTo(4);
    }

    private int goodReplicas(long ino, BlockRecord b) throws IOException {
        int good = 0;
        String expected = new String(mediator.read(ino, 0, b.length()), StandardCharsets.UTF_8);
        for (int i = 0; i < 4; i++) {
            if (replica(i, ino, b).equals(expected)) {
                good++;
            }
        }
        return good;
    }

    @Test
    void writeQuorumUnreachable_isEio_andTheOldContentStaysReadable() {
        long ino = file("file1", FILE1);
        cluster.kill(0);
        cluster.kill(1);
        cluster.kill(2);

        assertThatThrownBy(() -> mediator.write(ino, 0, "lost\n".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.IO));

        Mediator lenient = cluster.mediator(1, 1);
        assertThat(new String(lenient.read(ino, 0, 100), StandardCharsets.UTF_8)).isEqualTo(FILE1);
        assertThat(mediator.getattr(ino).size()).isEqualTo(FILE1.length());
    }

    @Test
    void seedWarnMode_commitsBelowWriteQuorum_withAWarning() {
        long ino = file("file1", FILE1);
        cluster.kill(0);
        cluster.kill(1);
        cluster.kill(2);
        Mediator seed = cluster.mediator(cluster.config(1, 2).withSeedModes(true, false));

        seed.write(ino, 0, "THIS".getBytes(StandardCharsets.UTF_8));

        assertThat(new String(seed.read(ino, 0, 100), StandardCharsets.UTF_8)).isEqualTo("THIS is file1\n");
    }

    @Test
    void seedReadAllMode_verifiesAndRepairsEveryReplica() throws IOException {
        long ino = file("file1", FILE1);
        BlockRecord b = block0(ino);
        cluster.corrupt(3, ino, 0, b.version());
        Mediator all = cluster.mediator(cluster.config(2, 2).withSeedModes(false, true));

        assertThat(new String(all.read(ino, 0, 100), StandardCharsets.UTF_8)).isEqualTo(FILE1);

        assertThat(replica(3, ino, b)).isEqualTo(FILE1);
        assertThat(all.stats().badReplicasSeen()).isEqualTo(1);
    }
}
