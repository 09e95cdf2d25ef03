package org.quorumfs.mediator.cli;

import org.quorumfs.common.rpc.SecurityOptions;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.mediator.Healer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * {@code scripts/healer}: the cluster's self-heal daemon. Exactly one works at a time, holding the
 * lease "healer" at the meta-server; others wait for it to lapse (10 s after the active one died).
 * Every second the active one heals what was missed on servers that answer and deletes the replicas
 * of freed inodes; a scrub pass (throttled, a slice per second) runs once a day, and a full walk
 * for garbage every hour. Progress is kept at the meta-server: a restarted healer resumes.
 */
@Command(name = "healer", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Heals missed replicas, scrubs every replica against its MD5 and collects garbage, in the background.")
public final class HealerMain implements Callable<Integer> {
    @Mixin
    SecurityOptions security;

    private static final Logger log = LoggerFactory.getLogger(HealerMain.class);
    static final String LEASE = "healer";
    static final int LEASE_MILLIS = 10_000;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--scrub-rate", paramLabel = "MIB", defaultValue = "8",
            description = "Block data scrubbed per second, in MiB (default 8; 0 turns the background scrub off).")
    long scrubRateMib;

    @Option(names = "--scrub-every", paramLabel = "SECONDS", defaultValue = "86400",
            description = "A scrub pass starts this long after the last one finished (default 86400, a day).")
    long scrubEverySeconds;

    @Option(names = "--gc-grace", paramLabel = "SECONDS", defaultValue = "600",
            description = "Replicas that are not committed are garbage once this old (default 600): a write in flight is younger.")
    long gcGraceSeconds;

    @Option(names = "--gc-every", paramLabel = "SECONDS", defaultValue = "3600",
            description = "How often to walk every replica for garbage (default 3600).")
    long gcEverySeconds;

    @Override
    public Integer call() throws InterruptedException {
        if (gcGraceSeconds < 1 || gcEverySeconds < 1 || scrubEverySeconds < 0 || scrubRateMib < 0) {
            System.err.println("healer: --gc-grace and --gc-every must be at least 1, --scrub-every and --scrub-rate at least 0");
            return 2;
        }
        String holder = UUID.randomUUID().toString();
        try (Healer healer = new Healer(cluster.config())) {
            System.out.println("healer ready (" + holder + ")");
            log.info("healer ready ({}), scrub {} MiB/s, garbage grace {} s every {} s", holder, scrubRateMib,
                    gcGraceSeconds, gcEverySeconds);
            boolean active = false;
            long nextGc = System.nanoTime();
            long rate = scrubRateMib << 20;
            while (!Thread.currentThread().isInterrupted()) {
                long roundStart = System.nanoTime();
                try {
                    if (!healer.meta().lease(LEASE, holder, LEASE_MILLIS)) {
                        if (active) {
                            log.warn("lost the healer lease to another healer; waiting");
                        }
                        active = false;
                        Thread.sleep(2000);
                        continue;
                    }
                    if (!active) {
                        log.info("active: holding the healer lease");
                        active = true;
                    }
                    healer.healMissed();
                    healer.collectFreedInodes();
                    if (System.nanoTime() - nextGc >= 0) {
                        healer.collectGarbage(Duration.ofSeconds(gcGraceSeconds));
                        nextGc = System.nanoTime() + Duration.ofSeconds(gcEverySeconds).toNanos();
                    }
                    if (rate > 0 && healer.scrubDue(Duration.ofSeconds(scrubEverySeconds))) {
                        // About two seconds' worth per round, so the lease is renewed well in time.
                        int blocks = (int) Math.max(1, 2 * rate / healer.blockSize());
                        healer.scrub(blocks, rate, p -> { });
                    }
                } catch (FsException e) {
                    log.warn("round failed, trying again: {}", e.getMessage());
                }
                long left = 1000 - (System.nanoTime() - roundStart) / 1_000_000;
                if (left > 0) {
                    Thread.sleep(left);
                }
            }
        }
        return 0;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new HealerMain()).execute(args));
    }
}
