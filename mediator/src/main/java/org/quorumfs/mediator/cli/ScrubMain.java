package org.quorumfs.mediator.cli;

import org.quorumfs.common.rpc.SecurityOptions;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.mediator.Healer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * {@code scripts/scrub [--now]}: one full scrub pass in the foreground, from the first block, with a
 * progress bar and an ETA, then a summary. Throttled like the background scrub unless --now.
 */
@Command(name = "scrub", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Checks every replica of every block against its MD5 now, repairing bad and missing ones.")
public final class ScrubMain implements Callable<Integer> {
    @Mixin
    SecurityOptions security;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--now", description = "As fast as the cluster allows (no throttle).")
    boolean now;

    @Option(names = "--rate", paramLabel = "MIB", defaultValue = "8", description = "Block data checked per second without --now (default 8 MiB).")
    long rateMib;

    @Override
    public Integer call() {
        long started = System.nanoTime();
        Healer.ScrubProgress[] last = {new Healer.ScrubProgress(0, 0, 0, 0, 0)};
        try (Healer healer = new Healer(cluster.config())) {
            healer.restartScrub(Healer.MANUAL_SCRUB); // a full pass, from the start
            long rate = now ? 0 : rateMib << 20;
            long[] shown = {0};
            while (!healer.scrub(Healer.MANUAL_SCRUB, 1000, rate, p -> {
                last[0] = p;
                if (System.nanoTime() - shown[0] > 200_000_000L) {
                    shown[0] = System.nanoTime();
                    System.err.print("\r" + bar(p, started));
                }
            })) {
                // the next thousand blocks
            }
        } catch (FsException e) {
            System.err.println();
            System.err.println("scrub: " + e.getMessage());
            return 2;
        }
        Healer.ScrubProgress p = last[0];
        System.err.println("\r" + bar(new Healer.ScrubProgress(p.checked(), p.checked(), p.bad(), p.repaired(),
                p.unrepairable()), started));
        System.out.printf("scrub done in %.1f s: %d blocks checked on every data server, %d bad replicas found,"
                        + " %d repaired, %d blocks unrepairable%n", (System.nanoTime() - started) / 1e9, p.checked(), p.bad(),
                p.repaired(), p.unrepairable());
        return p.unrepairable() > 0 ? 1 : 0;
    }

    static String bar(Healer.ScrubProgress p, long startedNanos) {
        int width = 30;
        double done = p.total() == 0 ? 1 : (double) p.checked() / p.total();
        int filled = (int) Math.round(done * width);
        double elapsed = (System.nanoTime() - startedNanos) / 1e9;
        long eta = done > 0 ? Math.round(elapsed / done - elapsed) : 0;
        return String.format("[%s%s] %3d%%  %d/%d blocks  bad %d  repaired %d  ETA %ds   ", "#".repeat(filled),
                ".".repeat(width - filled), Math.round(done * 100), p.checked(), p.total(), p.bad(), p.repaired(), eta);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ScrubMain()).execute(args));
    }
}
