package org.quorumfs.client;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seed report's tests 1–3 and its evaluation table on a real mount (N=4, Qr=2, Qw=2), faults
 * injected with scripts/kill-server and healed by restarting with scripts/dataserver.
 */
class SeedFaultsIT {
    private static final String FILE1 = "This is file1\n";

    @TempDir
    Path dir;
    private MountedCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private String out(String command) {
        return cluster.sh(command).ok().out();
    }

    private int port(int i) {
        return cluster.dataPorts.get(i);
    }

    private void corrupt(int server, String file) {
        out("for f in " + cluster.replicas(server, file)
                + "; do if [ -e \"$f\" ]; then echo 'This file is corrupted' > \"$f\"; fi; done");
    }

    private String replicas(int server, String file) {
        return cluster.bash("cat " + cluster.replicas(server, file) + " 2>/dev/null").out();
    }

    /** Past the mount's 2 s back-off for servers that failed, so a restarted one is used again. */
    private static void pastBackoff() throws InterruptedException {
        Thread.sleep(2200);
    }

    @Test
    void test1_corruptTwoThenThree_catStaysRight_andReadAllModeRepairsEveryReplica() throws IOException {
        cluster = MountedCluster.start(dir, 4, "--read-all");
        out("echo 'This is file1' > file1");
        corrupt(0, "file1");
        corrupt(2, "file1");
        assertThat(out("cat file1")).isEqualTo(FILE1);
        corrupt(0, "file1");
        corrupt(2, "file1");
        corrupt(3, "file1");
        assertThat(out("cat file1")).isEqualTo(FILE1);
        for (int i = 0; i < 4; i++) {
            assertThat(replicas(i, "file1")).as("replica on server %d", i).isEqualTo(FILE1);
        }
        assertThat(cluster.bash("grep -c 'repaired replica' $VAR/log/mount-*.log").out().trim()).isEqualTo("5");
    }

    @Test
    void test1_defaultMode_threeOfFourCorrupted_catStaysRight() throws IOException {
        cluster = MountedCluster.start(dir, 4, "");
        out("echo 'This is file1' > file1");
        corrupt(0, "file1");
        corrupt(1, "file1");
        corrupt(3, "file1");
        assertThat(out("cat file1")).isEqualTo(FILE1);
        for (int i = 0; i < 4; i++) {
            corrupt(i, "file1");
        }
        MountedCluster.Result r = cluster.sh("cat file1");
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("Input/output error");
    }

    @Test
    void test2_twoOfFourKilled_catWorks_threeKilled_catFailsPromptlyWithIoError() throws IOException {
        cluster = MountedCluster.start(dir, 4, "");
        out("echo 'This is file1' > file1");
        cluster.script("kill-server " + port(0) + " " + port(2)).ok();
        assertThat(out("cat file1")).isEqualTo(FILE1);
        cluster.script("kill-server " + port(3)).ok();
        long start = System.nanoTime();
        MountedCluster.Result r = cluster.sh("cat file1");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("Input/output error");
    }

    @Test
    void test3_restartedServer_isHealedOnTheNextRead() throws Exception {
        cluster = MountedCluster.start(dir, 4, "");
        out("echo 'old' > file1");
        cluster.script("kill-server " + port(1)).ok();
        out("echo 'This is file1' > file1");
        cluster.script("dataserver " + port(1) + " --background").ok();
        pastBackoff();
        assertThat(out("cat file1")).isEqualTo(FILE1);
        assertThat(replicas(1, "file1")).isEqualTo(FILE1);
    }

    @Test
    void evaluationTable_rowByRow() throws Exception {
        cluster = MountedCluster.start(dir, 4, "");
        out("echo v1 > file1");
        // 1. GET, 4 servers good: ok.
        assertThat(out("cat file1")).isEqualTo("v1\n");
        // 2. stop servers 1 and 2.
        cluster.script("kill-server " + port(0) + " " + port(1)).ok();
        // 3. PUT: ok on the 2 running servers.
        out("echo v2 > file1");
        assertThat(goodReplicas("v2\n")).isEqualTo(2);
        // 4. server 1 restarted.
        cluster.script("dataserver " + port(0) + " --background").ok();
        pastBackoff();
        // 5. PUT: reaches 3 servers.
        out("echo v3 > file1");
        assertThat(goodReplicas("v3\n")).isEqualTo(3);
        // 6. server 2 restarted.
        cluster.script("dataserver " + port(1) + " --background").ok();
        pastBackoff();
        // 7. GET: ok, and the 4th server is corrected from good data.
        assertThat(out("cat file1")).isEqualTo("v3\n");
        assertThat(goodReplicas("v3\n")).isEqualTo(4);
    }

    private int goodReplicas(String content) {
        int good = 0;
        for (int i = 0; i < 4; i++) {
            if (cluster.bash("cat " + cluster.replicas(i, "file1") + " 2>/dev/null").out().contains(content)) {
                good++;
            }
        }
        return good;
    }

    @Test
    void hungDataServer_sigstopped_writesFinishThroughTheOthers_andNothingIsLost() throws Exception {
        cluster = MountedCluster.start(dir, 4, "");
        long pid = Long.parseLong(Files.readString(cluster.var.resolve("run/" + port(1) + ".pid")).trim());
        Path src = dir.resolve("src");
        out("dd if=/dev/urandom of=" + src + " bs=1M count=40 status=none");
        out("$FREEZE " + pid);
        try {
            // Its puts time out or are refused past the cap on outstanding calls: the others take them.
            out("dd if=" + src + " of=big bs=1M conv=fsync status=none");
        } finally {
            out("kill -CONT " + pid);
        }
        assertThat(out("cmp big " + src + " && echo same")).isEqualTo("same\n");
    }

    @Test
    void hungDataServer_sigstopped_readsAndWritesAskAroundIt_insteadOfWaitingOutTheReplyTimeout() throws Exception {
        cluster = MountedCluster.start(dir, 3, "");
        out("for i in $(seq 1 12); do head -c $((i * 90000)) /dev/urandom > h$i; done && sha256sum h* > ../sums");
        long pid = Long.parseLong(Files.readString(cluster.var.resolve("run/" + port(0) + ".pid")).trim());
        out("$FREEZE " + pid);
        try {
            // Each command's time in ms: a read that waited for the hung server would take the 5 s
            // reply timeout; asked around after the hedge delay it takes a fraction of a second.
            String times = out("for i in $(seq 1 12); do s=$(date +%s%N); cat h$i > /dev/null; echo x > w$i;"
                    + " echo $(( ($(date +%s%N) - s) / 1000000 )); done");
            long worst = times.lines().mapToLong(Long::parseLong).max().orElseThrow();
            assertThat(worst).as("slowest read+write with a hung server, ms (all: " + times.replace('\n', ' ') + ")")
                    .isLessThan(2500);
            assertThat(out("sha256sum -c ../sums --quiet && echo same")).isEqualTo("same\n");
        } finally {
            out("kill -CONT " + pid);
        }
    }

    @Test
    void aFileReadInOrder_staysRight_withEveryPieceOfAServerDamaged_andWithOneServerHungAndOneKilled() throws Exception {
        cluster = MountedCluster.start(dir, 4, "");
        out("head -c 6000000 /dev/urandom > big && md5sum < big > ../big.md5");
        String md5 = out("cat ../big.md5");
        // One byte flipped in every 64 KiB piece of server 0's replicas, lengths kept: whatever
        // share of a block it is asked for is bad, and only the piece MD5s can tell.
        cluster.bash("for f in " + cluster.replicas(0, "big") + "; do python3 -c \"import sys; p = sys.argv[1];"
                + " b = bytearray(open(p, 'rb').read()); b[77::65536] = bytes(x ^ 0x55 for x in b[77::65536]);"
                + " open(p, 'wb').write(b)\" $f; done").ok();
        Path fresh = dir.resolve("fresh");
        Files.createDirectories(fresh);
        long hung = cluster.dataServerPid(1);
        try {
            cluster.mountAt(fresh).ok(); // a client with nothing of the file cached
            assertThat(cluster.bash("md5sum < " + fresh + "/big").ok().out()).isEqualTo(md5);
            // What a read saw of server 0 it rewrote; what it did not ask server 0 for, the scrub finds.
            String servers = "--meta " + cluster.metaPort + " --data " + cluster.dataPortList(",");
            assertThat(cluster.script("scrub --now " + servers).ok().out())
                    .containsPattern(" [1-6] bad replicas found, [1-6] repaired, 0 blocks unrepairable");
            assertThat(cluster.script("status " + fresh.resolve("big") + " " + servers).exit()).isZero();
            // Read again by a cold client with server 1 hung and server 2 killed: servers 0 and 3 serve it.
            cluster.script("umount " + fresh).ok();
            out("$FREEZE " + hung);
            cluster.script("kill-server " + port(2)).ok();
            cluster.mountAt(fresh).ok();
            assertThat(cluster.bash("md5sum < " + fresh + "/big").ok().out()).isEqualTo(md5);
        } finally {
            out("kill -CONT " + hung);
            cluster.unmountIfMounted(fresh);
        }
    }

    @Test
    void writeQuorumUnreachable_echoFailsWithIoError_andTheOldContentSurvives() throws Exception {
        cluster = MountedCluster.start(dir, 4, "");
        out("echo 'This is file1' > file1");
        cluster.script("kill-server " + port(0) + " " + port(1) + " " + port(2)).ok();
        MountedCluster.Result r = cluster.sh("echo lost > file1");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("Input/output error");
        assertThat(cluster.sh("truncate -s 0 file1").err()).contains("Input/output error");
        cluster.script("dataserver " + port(0) + " " + port(1) + " " + port(2) + " --background").ok();
        pastBackoff();
        // Neither the shell's O_TRUNC nor truncate(1) dropped the committed content.
        assertThat(out("cat file1")).isEqualTo(FILE1);
        assertThat(out("echo again > file1 && cat file1")).isEqualTo("again\n");
    }
}
