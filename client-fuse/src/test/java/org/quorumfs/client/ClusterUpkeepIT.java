package org.quorumfs.client;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cluster's upkeep as a user runs it, with the scripts: the healer bringing a returned server
 * up to date with nobody reading, status and its exit codes, a scrub finding and repairing a
 * corrupt replica, a stand-in healer taking over from a killed one, a meta-server restarted under
 * a write loop, full data-server disks, scripts/up and scripts/down around the README's demo, a
 * meta-server started with its own data directory, and servers refused at start.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterUpkeepIT {
    @TempDir
    static Path dir;
    static MountedCluster cluster;

    @BeforeAll
    static void mount() throws IOException {
        cluster = MountedCluster.start(dir, 3, "");
        cluster.script("healer --background " + cluster() + " --gc-grace 5").ok();
    }

    @AfterAll
    static void unmount() {
        if (cluster != null) {
            cluster.close(); // also kills the healers, whose pid files are in the same run/ directory
        }
    }

    private static String cluster() {
        return "--meta " + cluster.metaPort + " --data " + cluster.dataPortList(",");
    }

    private static String out(String command) {
        return cluster.sh(command).ok().out();
    }

    private static MountedCluster.Result status(String args) {
        return cluster.script("status " + cluster() + " " + args);
    }

    private static MountedCluster.Result awaitStatus(int exit, int seconds) throws InterruptedException {
        MountedCluster.Result r = null;
        for (int i = 0; i < seconds * 2; i++) {
            r = status("");
            if (r.exit() == exit) {
                return r;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("status did not exit " + exit + " within " + seconds + " s:\n" + r.out() + r.err());
    }

    @Test
    @Order(1)
    void aReturnedServer_isHealedWithoutAnyRead_andStatusSaysSo() throws Exception {
        assertThat(awaitStatus(0, 10).out()).startsWith("healthy\n");
        int port = cluster.dataPorts.get(1);
        cluster.script("kill-server " + port).ok();
        out("mkdir heal && for i in $(seq 1 20); do head -c 300000 /dev/urandom > heal/f$i; done");
        MountedCluster.Result degraded = status("");
        assertThat(degraded.exit()).isEqualTo(1);
        assertThat(degraded.out()).startsWith("DEGRADED\n").containsPattern(port + " +DOWN")
                .contains("pending heal  20 replicas missed a write");
        cluster.script("dataserver " + port + " --background").ok();
        MountedCluster.Result healed = awaitStatus(0, 20);
        assertThat(healed.out()).contains("pending heal  0 replicas").contains("20 replicas healed");
        assertThat(status(cluster.mnt.resolve("heal/f7").toString()).out()).containsPattern(" good +good +good\n");
    }

    @Test
    @Order(2)
    void aCorruptReplica_showsInStatusPath_andScrubRepairsIt() {
        out("head -c 2500000 /dev/urandom > scrubbed");
        String glob = cluster.replicas(0, "scrubbed");
        cluster.bash("f=$(ls " + glob + " | head -1); printf 'rot' | dd of=$f bs=1 seek=100 conv=notrunc status=none").ok();
        String path = cluster.mnt.resolve("scrubbed").toString();
        MountedCluster.Result before = status(path);
        assertThat(before.exit()).isEqualTo(1);
        assertThat(before.out()).contains("corrupt");
        MountedCluster.Result scrub = cluster.script("scrub --now " + cluster());
        assertThat(scrub.exit()).isZero();
        assertThat(scrub.out()).contains("1 bad replicas found, 1 repaired, 0 blocks unrepairable");
        assertThat(scrub.err()).contains("100%");
        assertThat(status(path).exit()).isZero();
        assertThat(status("").out()).contains("last scrub    finished").contains("1 bad replicas, 1 repaired");
    }

    @Test
    @Order(3)
    void aStandInHealer_waits_andTakesOverWhenTheActiveOneIsKilled() throws Exception {
        String before = cluster.bash("ls $QFS_VAR/run/healer-*.pid").ok().out().trim();
        cluster.script("healer --background " + cluster()).ok();
        Path log = cluster.var.resolve("log/healer.log");
        Thread.sleep(3000);
        assertThat(count(log, "active: holding the healer lease")).as("only the first is active").isEqualTo(1);
        cluster.bash("kill -9 $(cat " + before + ")").ok();
        for (int i = 0; i < 30 && count(log, "active: holding the healer lease") < 2; i++) {
            Thread.sleep(1000);
        }
        assertThat(count(log, "active: holding the healer lease")).as("the stand-in took over").isEqualTo(2);
        int port = cluster.dataPorts.get(2);
        cluster.script("kill-server " + port).ok();
        out("echo after the takeover > takeover");
        cluster.script("dataserver " + port + " --background").ok();
        awaitStatus(0, 20);
    }

    private static long count(Path log, String line) throws IOException {
        try (var lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(line)).count();
        }
    }

    @Test
    @Order(4)
    void aMetaServerRestartedUnderAWriteLoop_failsNothing_andLosesNothing() {
        String loop = "cd " + cluster.mnt + " && mkdir ml && for i in $(seq 1 400); do echo \"line $i\" > ml/f$i"
                + " || echo \"failed $i\"; done";
        // Restarted from outside the mount: a shell whose working directory is on it waits for the
        // meta-server like every other caller, so it could not start the meta-server.
        String restarts = "cd / && for k in 1 2 3; do sleep 1; " + MountedCluster.ROOT + "/scripts/kill-server " + cluster.metaPort
                + " >/dev/null; " + MountedCluster.ROOT + "/scripts/metaserver " + cluster.metaPort + " --background >/dev/null; done";
        MountedCluster.Result r = cluster.bash("(" + restarts + ") & (" + loop + "); wait");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).doesNotContain("failed");
        assertThat(out("for i in $(seq 1 400); do [ \"$(cat ml/f$i)\" = \"line $i\" ] || echo \"bad $i\"; done")).isEmpty();
        assertThat(cluster.bash("grep -c 'waiting up to' $QFS_VAR/log/mount-*.log").out().trim()).isNotEqualTo("0");
    }

    @Test
    @Order(5)
    void fullDataServerDisks_giveEnospc_loseNothing_andWritingResumesWhenSpaceReturns() throws Exception {
        String full = cluster.dataPorts.get(1) + " " + cluster.dataPorts.get(2);
        try {
            cluster.script("kill-server " + full).ok();
            for (String p : full.split(" ")) {
                Path d = cluster.var.resolve("dataserver-" + p);
                cluster.bash("mkdir -p " + d + " && mount -t tmpfs -o size=3m qfs-test-full " + d).ok();
            }
            cluster.script("dataserver " + full + " --background").ok();
            Thread.sleep(2500); // past the mount's back-off for the servers it saw go
            out("echo committed before the disks filled > before");
            MountedCluster.Result dd = cluster.sh("dd if=/dev/urandom of=big bs=1M count=8 conv=fsync");
            assertThat(dd.exit()).isNotZero();
            assertThat(dd.err()).contains("No space left on device");
            assertThat(out("cat before")).isEqualTo("committed before the disks filled\n");
            out("rm big");
            // Writing resumes once space returns: the rm frees the replicas on the full disks (in
            // the background, so the first try may still find them full).
            out("ok=0; for i in $(seq 1 20); do head -c 1500000 /dev/urandom > after && sync after && { ok=1; break; };"
                    + " sleep 0.5; done; [ $ok = 1 ]");
            assertThat(out("wc -c < after").trim()).isEqualTo("1500000");
        } finally {
            cluster.script("kill-server " + full);
            for (String p : full.split(" ")) {
                cluster.bash("umount " + cluster.var.resolve("dataserver-" + p));
            }
            cluster.script("dataserver " + full + " --background");
        }
    }

    @Test
    @Order(6)
    void upAndDown_aroundTheReadmeDemo_stopEveryServer_andUpWorksAgain(@TempDir Path own) throws Exception {
        int base = MountedCluster.freeBase();
        String env = "export QFS_VAR=" + own.resolve("var") + "; cd " + MountedCluster.ROOT + "; ";
        Path mnt = own.resolve("mnt");
        try {
            assertThat(cluster.bash(env + "scripts/up " + mnt + " --base-port " + base).ok().out()).contains("QuorumFS is up");
            cluster.bash(env + "echo This is file1 > " + mnt + "/file1 && scripts/kill-server " + (base + 1) + " " + (base + 3)
                    + " && cat " + mnt + "/file1 && scripts/dataserver " + (base + 1) + " " + (base + 3) + " --background").ok();
            cluster.bash(env + "scripts/down " + mnt).ok();
            assertThat(cluster.bash("ps -eo args | grep -E -c '[o]rg.quorumfs.*(" + own + "|HealerMain --meta " + base + " )'")
                    .out().trim()).as("servers, healer or client left running after down").isEqualTo("0");
            assertThat(cluster.bash("ls " + own.resolve("var/run")).out().trim()).as("pid files left").isEmpty();
            assertThat(cluster.bash(env + "scripts/up " + mnt + " --base-port " + base).ok().out()).contains("QuorumFS is up");
            assertThat(cluster.bash("cat " + mnt + "/file1").ok().out()).isEqualTo("This is file1\n");
        } finally {
            cluster.bash(env + "scripts/down " + mnt);
        }
    }

    /** The start of a command that runs one of the scripts with {@code own}/var as its var/. */
    private static String scriptsWithVarIn(Path own) {
        return "QFS_VAR=" + own.resolve("var") + " " + MountedCluster.ROOT + "/scripts/";
    }

    @Test
    @Order(7)
    void aMetaServerGivenItsOwnDataDir_keepsItsStoreThere(@TempDir Path own) throws IOException {
        int port = MountedCluster.freeBase();
        // Relative, from the caller's directory: the detached server itself runs from /.
        String start = "cd " + own + " && " + scriptsWithVarIn(own) + "metaserver " + port
                + " --background --data-dir store/meta";
        String stop = scriptsWithVarIn(own) + "kill-server " + port;
        try {
            cluster.bash(start).ok();
            cluster.bash(stop).ok();
            assertThat(own.resolve("store/meta/meta.db")).exists();
            assertThat(own.resolve("var/metaserver-" + port)).doesNotExist();
        } finally {
            cluster.bash(stop);
        }
    }

    @Test
    @Order(8)
    void aKilledMetaServer_leavesNoCopyOfSqlitesNativeLibraryBehind(@TempDir Path own) throws IOException {
        int port = MountedCluster.freeBase();
        String scripts = scriptsWithVarIn(own);
        Path copies = own.resolve("var/metaserver-" + port + "/native");
        try {
            for (int start = 0; start < 3; start++) {
                cluster.bash(scripts + "metaserver " + port + " --background").ok();
                cluster.bash(scripts + "kill-server " + port).ok(); // kill -9: no clean exit
            }
            // The driver's copy is made beside the store, and each start removes the one before.
            assertThat(cluster.bash("ls " + copies + " | grep -c 'libsqlitejdbc.so$'").out().trim()).isEqualTo("1");
        } finally {
            cluster.bash(scripts + "kill-server " + port);
        }
    }

    @Test
    @Order(9)
    void aServerRefusedAtStart_saysWhyInOneLine(@TempDir Path own) throws IOException {
        int port = MountedCluster.freeBase();
        String scripts = scriptsWithVarIn(own);
        MountedCluster.Result badOption = cluster.bash(scripts + "metaserver " + port + " --background --block-size abc");
        assertThat(badOption.exit()).isNotZero();
        assertThat(badOption.err()).contains("Invalid value for option '--block-size'").doesNotContain("Usage:");
        MountedCluster.Result badAddress = cluster.bash(scripts + "dataserver " + port + " --background --bind nosuchhost.invalid");
        assertThat(badAddress.exit()).isNotZero();
        assertThat(badAddress.err()).contains("dataserver: cannot start: nosuchhost.invalid").doesNotContain("\tat ");
    }
}
