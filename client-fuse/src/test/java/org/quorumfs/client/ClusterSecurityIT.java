package org.quorumfs.client;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cluster started by the scripts with its key and, after scripts/tls-init, in TLS: a mount
 * works through kills, a hang and restarts; a client without the key, or speaking plain HTTP to
 * TLS servers, is refused and changes nothing.
 */
class ClusterSecurityIT {
    @TempDir
    Path dir;
    private MountedCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private int port(int i) {
        return cluster.dataPorts.get(i);
    }

    @Test
    void aTlsCluster_servesAMount_throughKillsAHangAndRestarts() throws Exception {
        MountedCluster.shell(MountedCluster.ROOT.resolve("scripts/tls-init").toString(),
                Map.of("QFS_VAR", dir.resolve("var").toString())).ok();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("var/tls/cluster.p12"))))
                .isEqualTo("rw-------");
        cluster = MountedCluster.start(dir, 3, "");
        // Every process was started with the store; a plain HTTP request to a data server is not answered in HTTP.
        assertThat(cluster.bash("grep -l -- '--tls-store' /proc/$(cat $QFS_VAR/run/" + port(0) + ".pid)/cmdline").exit()).isZero();
        String plain = cluster.bash("exec 3<>/dev/tcp/127.0.0.1/" + port(0)
                + " && printf 'POST /RPC2 HTTP/1.1\\r\\nContent-Length: 0\\r\\n\\r\\n' >&3 && timeout 5 cat <&3 | head -c 100").out();
        assertThat(plain).doesNotStartWith("HTTP/");

        cluster.out("head -c 6000000 /dev/urandom > a && sha256sum a > ../sums");
        cluster.script("kill-server " + port(1)).ok();
        cluster.out("head -c 3000000 /dev/urandom > b && sha256sum a b > ../sums");
        cluster.script("dataserver " + port(1) + " --background").ok();
        Thread.sleep(2200); // past the mount's back-off for a server that failed
        long hung = cluster.dataServerPid(2);
        cluster.bash("$FREEZE " + hung).ok();
        try {
            cluster.out("head -c 2000000 /dev/urandom > c && sha256sum a b c > ../sums");
            assertThat(cluster.out("sha256sum -c ../sums --quiet && echo same")).isEqualTo("same\n");
        } finally {
            cluster.bash("kill -CONT " + hung).ok();
        }
        // A second client, as on another machine, reads the same bytes.
        Path second = dir.resolve("second");
        Files.createDirectories(second);
        cluster.mountAt(second).ok();
        try {
            assertThat(cluster.bash("cd " + second + " && sha256sum -c ../sums --quiet && echo same").ok().out())
                    .isEqualTo("same\n");
        } finally {
            cluster.script("umount " + second).ok();
        }
    }

    @Test
    void aClientWithAnotherKey_orWithoutTls_isRefusedWithAClearMessage_andChangesNothing() throws Exception {
        MountedCluster.shell(MountedCluster.ROOT.resolve("scripts/tls-init").toString(),
                Map.of("QFS_VAR", dir.resolve("var").toString())).ok();
        cluster = MountedCluster.start(dir, 3, "");
        cluster.out("echo kept > f && mkdir d");
        Path other = dir.resolve("other.key");
        Files.writeString(other, "ab".repeat(32));
        Path second = dir.resolve("second");
        Files.createDirectories(second);
        String mount = MountedCluster.ROOT.resolve("scripts/mount") + " " + second + " --meta " + cluster.metaPort
                + " --data " + cluster.dataPortList(",");

        MountedCluster.Result wrongKey = cluster.bash("QFS_KEY_FILE=" + other + " " + mount);
        assertThat(wrongKey.exit()).isNotZero();
        assertThat(wrongKey.err()).contains("refused this client").contains("--key-file");

        MountedCluster.Result plain = cluster.bash("QFS_TLS_STORE=none " + mount);
        assertThat(plain.exit()).isNotZero();
        assertThat(plain.err()).contains("TLS");

        assertThat(cluster.mounted()).isTrue();
        assertThat(cluster.out("cat f && ls")).isEqualTo("kept\nd\nf\n");
        assertThat(Files.readString(cluster.var.resolve("log/metaserver-" + cluster.metaPort + ".log")))
                .contains("refused a request from 127.0.0.1: wrong proof")
                .contains("a TLS handshake failed");
    }
}
