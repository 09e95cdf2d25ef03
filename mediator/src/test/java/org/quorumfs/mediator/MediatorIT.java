package org.quorumfs.mediator;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import com.google.common.net.HostAndPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.Md5;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.mediator.testing.GatedProxy;
import org.quorumfs.mediator.testing.MiniCluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** File data through the mediator: blocks, holes, truncation, concurrent writers, hung servers. */
class MediatorIT {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;
    private MiniCluster cluster;
    private Mediator mediator;

    @BeforeEach
    void start() throws IOException {
        cluster = MiniCluster.start(dir, 4, BLOCK);
        mediator = cluster.mediator(2, 2);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private long newFile(String name) {
        return mediator.create(MetaService.ROOT, name, 0644, 0, 0).ino();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void multiBlockWrites_atUnalignedOffsets_readBackExactly() {
        long ino = newFile("f");
        byte[] model = new byte[5 * BLOCK + 123];
        byte[] first = random(model.length, 1);
        mediator.write(ino, 0, first);
        System.arraycopy(first, 0, model, 0, first.length);
        byte[] patch = random(BLOCK + 500, 2);
        mediator.write(ino, BLOCK - 250, patch);
        System.arraycopy(patch, 0, model, BLOCK - 250, patch.length);

        assertThat(mediator.read(ino, 0, model.length + 100)).isEqualTo(model);
        assertThat(mediator.read(ino, 3 * BLOCK + 7, 10)).isEqualTo(Arrays.copyOfRange(model, 3 * BLOCK + 7, 3 * BLOCK + 17));
        assertThat(mediator.getattr(ino).size()).isEqualTo(model.length);
    }

    @Test
    void writePastTheEnd_leavesAHoleThatReadsAsZeros() {
        long ino = newFile("sparse");
        mediator.write(ino, 10L * BLOCK + 5, "tail".getBytes());
        byte[] all = mediator.read(ino, 0, 11 * BLOCK);
        assertThat(all).hasSize(10 * BLOCK + 9);
        assertThat(Arrays.copyOf(all, 10 * BLOCK + 5)).containsOnly(0);
        assertThat(mediator.blocks(ino, 0, 100)).hasSize(1);
    }

    @Test
    void truncate_shrinkThenGrow_showsZerosNotOldBytes() {
        long ino = newFile("t");
        mediator.write(ino, 0, random(3 * BLOCK, 3));
        mediator.truncate(ino, BLOCK + 10);
        assertThat(mediator.getattr(ino).size()).isEqualTo(BLOCK + 10);
        mediator.truncate(ino, 3 * BLOCK);
        byte[] after = mediator.read(ino, 0, 3 * BLOCK);
        assertThat(Arrays.copyOfRange(after, BLOCK + 10, 3 * BLOCK)).containsOnly(0);
        assertThat(mediator.blocks(ino, 0, 10)).hasSize(2);
    }

    @Test
    void truncate_pastTheLargestFile_isFileTooLarge() {
        long ino = newFile("huge");
        assertThatThrownBy(() -> mediator.truncate(ino, mediator.maxFileSize() + 1))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FILE_TOO_LARGE));
        assertThatThrownBy(() -> mediator.write(ino, -1, new byte[1]))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void twoWriters_onDisjointRangesOfOneBlock_bothSurvive() throws Exception {
        long ino = newFile("shared");
        mediator.write(ino, 0, new byte[BLOCK]);
        Mediator other = cluster.mediator(2, 2);
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            Mediator m = w == 0 ? mediator : other;
            int base = w * (BLOCK / 2);
            writers.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 20; i++) {
                    byte[] buf = new byte[BLOCK];
                    Arrays.fill(buf, base + i * 10, base + i * 10 + 10, (byte) (base == 0 ? 'A' : 'B'));
                    RangeSet<Integer> dirty = TreeRangeSet.create();
                    dirty.add(Range.closedOpen(base + i * 10, base + i * 10 + 10));
                    m.writeBlock(ino, 0, buf, dirty);
                }
            }));
        }
        CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get();
        byte[] block = mediator.read(ino, 0, BLOCK);
        assertThat(Arrays.copyOfRange(block, 0, 200)).containsOnly('A');
        assertThat(Arrays.copyOfRange(block, BLOCK / 2, BLOCK / 2 + 200)).containsOnly('B');
    }

    @Test
    void overwrite_prunesTheOldVersion_andUnlinkDeletesTheReplicas() throws Exception {
        long ino = newFile("gc");
        mediator.write(ino, 0, "one".getBytes());
        BlockRecord v1 = mediator.blocks(ino, 0, 1).get(0).block();
        mediator.write(ino, 0, "two".getBytes());
        BlockRecord v2 = mediator.blocks(ino, 0, 1).get(0).block();
        Path old = cluster.replica(0, ino, 0, v1.version());
        awaitGone(old);
        mediator.unlink(MetaService.ROOT, "gc");
        for (int i = 0; i < cluster.size(); i++) {
            awaitGone(cluster.replica(i, ino, 0, v2.version()));
        }
    }

    private static void awaitGone(Path p) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (Files.exists(p) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(p).doesNotExist();
    }

    /** A mediator (Qr = Qw = 2) of four servers: {@code silent}, which accepts and never answers, and three real ones. */
    private Mediator mediatorWithSilentFirst(ServerSocket silent) {
        List<HostAndPort> data = new ArrayList<>(cluster.dataEndpoints().subList(0, 3));
        data.add(0, HostAndPort.fromParts("127.0.0.1", silent.getLocalPort()));
        return mediatorOn(cluster, data);
    }

    /** A mediator (Qr = Qw = 2) of {@code cluster}'s meta-server and the data servers at {@code data}. */
    private static Mediator mediatorOn(MiniCluster cluster, List<HostAndPort> data) {
        MediatorConfig c = cluster.config(2, 2);
        return cluster.mediator(new MediatorConfig(c.meta(), data, 2, 2, c.attempts(), c.retryPause(),
                c.timeouts(), c.downBackoff(), c.writeGrace(), false, false, c.metaWait()));
    }

    @Test
    void hungServer_readsAndWritesFinishThroughTheOthers_withinTheTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Mediator m = mediatorWithSilentFirst(silent);
            long ino = m.create(MetaService.ROOT, "h", 0644, 0, 0).ino();
            long start = System.nanoTime();
            m.write(ino, 0, "through the others".getBytes());
            assertThat(new String(m.read(ino, 0, 100))).isEqualTo("through the others");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
            assertThat(mediator.blocks(ino, 0, 1).get(0).missed())
                    .containsExactly(HostAndPort.fromParts("127.0.0.1", silent.getLocalPort()).toString());
        }
    }

    /**
     * A put's body goes back to be used again once every server it was sent to answered
     * (LargeArrays): a put still sending after the grace period keeps it while the file's next
     * blocks are written, or the late server would store the next block's bytes under this
     * block's name.
     */
    @Test
    void putStillSendingAfterTheGracePeriod_keepsItsBody_whileTheNextBlockIsWritten() throws Exception {
        // Bodies kept for later ones (unlike the 4 KiB blocks elsewhere here), and larger than a
        // loopback socket's send buffer (up to 4 MiB): a write to a server that reads nothing blocks.
        int size = 6 << 20;
        try (MiniCluster big = MiniCluster.start(dir.resolve("big"), 3, size);
             GatedProxy slow = GatedProxy.to(big.dataEndpoint(2))) {
            Mediator m = mediatorOn(big, List.of(big.dataEndpoint(0), big.dataEndpoint(1), slow.endpoint()));
            long ino = m.create(MetaService.ROOT, "late", 0644, 0, 0).ino();
            byte[][] blocks = {random(size, 1), random(size, 2), random(size, 3)};
            slow.hold();
            for (int i = 0; i < blocks.length; i++) {
                m.write(ino, (long) i * size, blocks[i]); // stored by two; the third put still sending
            }
            slow.release();
            for (int i = 0; i < blocks.length; i++) {
                Path late = big.replica(2, ino, i, m.blocks(ino, i, 1).get(0).block().version());
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (!(Files.exists(late) && Files.size(late) == size) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(Md5.hex(Files.readAllBytes(late))).as("block %d on the late server", i)
                        .isEqualTo(Md5.hex(blocks[i]));
            }
        }
    }

    @Test
    void hungServer_manyWritersAtOnce_finishThroughTheOthers_onABoundedNumberOfThreads() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 500, InetAddress.getLoopbackAddress())) {
            Mediator m = mediatorWithSilentFirst(silent);
            int before = replicaThreads();
            int writers = 96;
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                long ino = m.create(MetaService.ROOT, "many-" + w, 0644, 0, 0).ino();
                byte[] content = random(3 * BLOCK, w);
                writes.add(CompletableFuture.runAsync(() -> {
                    m.write(ino, 0, content);
                    assertThat(m.read(ino, 0, content.length)).isEqualTo(content);
                }, runnable -> new Thread(runnable).start()));
            }
            int most = 0;
            while (!writes.stream().allMatch(CompletableFuture::isDone)) {
                most = Math.max(most, replicaThreads());
                Thread.sleep(5);
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get();
            // 288 block writes, each to 4 servers, one of them hung until the reply timeout: the
            // threads talking to servers stay within this mediator's bound (plus the other mediator's).
            assertThat(most - before).isLessThanOrEqualTo(4 * (DataServerHandle.MAX_OUTSTANDING + 2));
        }
    }

    private static int replicaThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("replica-io-")).count();
    }

    @Test
    void everyServerRestartedOnItsPort_withConnectionsKeptAlive_theNextReadSucceedsAtOnce() throws Exception {
        long ino = newFile("kept-alive");
        byte[] data = random(16 * BLOCK, 9);
        mediator.write(ino, 0, data);
        List<CompletableFuture<byte[]>> readers = new ArrayList<>();
        for (int r = 0; r < 8; r++) {
            readers.add(CompletableFuture.supplyAsync(() -> mediator.read(ino, 0, data.length)));
        }
        for (CompletableFuture<byte[]> r : readers) {
            assertThat(r.get()).isEqualTo(data); // several idle kept-alive connections per server now
        }
        for (int i = 0; i < cluster.size(); i++) {
            cluster.restart(i);
        }
        assertThat(mediator.read(ino, 0, data.length)).isEqualTo(data);
        assertThat(mediator.stats().quorumFailures()).isZero();
    }

    @Test
    void readdir_returnsEveryEntryAcrossPages() {
        long d = mediator.mkdir(MetaService.ROOT, "many", 0755, 0, 0).attributes().ino();
        for (int i = 0; i < 2100; i++) {
            mediator.create(d, String.format("f%05d", i), 0644, 0, 0);
        }
        assertThat(mediator.readdirPlus(d)).hasSize(2100);
    }
}
