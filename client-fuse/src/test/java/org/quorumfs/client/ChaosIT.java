package org.quorumfs.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A short run of {@code scripts/chaos}: the randomized fault trials (kill -9 of data servers, the
 * meta-server and the client mid-write, corrupted replicas, frozen servers) against a real mounted
 * cluster, with its oracle. The long run (hundreds of trials) is a documented command, not CI.
 */
class ChaosIT {
    @TempDir
    Path dir;

    @Test
    void randomizedFaultTrials_findNoViolation() throws Exception {
        int base = MountedCluster.freeBase();
        MountedCluster.Result r = MountedCluster.shell(MountedCluster.ROOT + "/scripts/chaos --trials 8 --seed 11 --base-port "
                + base, java.util.Map.of("QFS_VAR", dir.resolve("var").toString()));
        assertThat(r.out()).contains("trials run:          8").contains("violations:          0");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
    }
}
