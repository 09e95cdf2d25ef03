package org.quorumfs.mediator.cli;

import org.quorumfs.common.rpc.SecurityOptions;
import com.google.common.net.HostAndPort;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.DataService;
import org.quorumfs.common.protocol.FsCounts;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.ReplicaCheck;
import org.quorumfs.common.protocol.ReplicaInfo;
import org.quorumfs.common.protocol.StoreSpace;
import org.quorumfs.common.protocol.Wire;
import org.quorumfs.common.rpc.RpcClient;
import org.quorumfs.common.rpc.RpcTimeouts;
import org.quorumfs.mediator.Healer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code scripts/status [PATH]}: the cluster at a glance, with an exit code a monitor can use
 * (0 healthy, 1 degraded: a server down, replicas pending heal or unrepairable, 2 the meta-server
 * unreachable); with a PATH on a mount, every block of that file and its replica on each server.
 */
@Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Shows the cluster's health (exit 0 healthy, 1 degraded, 2 unreachable), or one file's replicas.")
public final class StatusMain implements Callable<Integer> {
    @Mixin
    SecurityOptions security;

    static final int HEALTHY = 0;
    static final int DEGRADED = 1;
    static final int UNREACHABLE = 2;
    private static final RpcTimeouts QUICK = new RpcTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(3));

    @Mixin
    ClusterOptions cluster;

    @Parameters(arity = "0..1", paramLabel = "PATH", description = "A file on a QuorumFS mount: list its blocks' replicas.")
    Path path;

    @Override
    public Integer call() {
        HostAndPort metaAt = org.quorumfs.mediator.MediatorConfig.endpoint(cluster.meta);
        MetaService meta = new RpcClient(metaAt, QUICK).proxy(MetaService.class);
        FsCounts counts;
        try {
            counts = FsCounts.fromWire(meta.statfs());
        } catch (FsException e) {
            System.out.println("UNREACHABLE: meta-server " + metaAt + " does not answer (" + e.getMessage() + ")");
            return UNREACHABLE;
        }
        return path != null ? file(meta) : cluster(meta, metaAt, counts);
    }

    private int cluster(MetaService meta, HostAndPort metaAt, FsCounts counts) {
        long missed = counts.missed();
        long garbage = counts.garbage();
        StringBuilder out = new StringBuilder();
        out.append(String.format("meta-server   %-21s up    %d files, %d blocks, %s in files%n", metaAt,
                counts.files(), counts.blocks(), size(counts.bytes())));
        int down = 0;
        for (String d : cluster.data) {
            HostAndPort at = org.quorumfs.mediator.MediatorConfig.endpoint(d);
            try {
                StoreSpace u = StoreSpace.fromWire(new RpcClient(at, QUICK).proxy(DataService.class).usage());
                out.append(String.format("data server   %-21s up    %s replicas, %s used, %s free of %s%n", at,
                        u.replicas(), size(u.usedBytes()), size(u.freeBytes()), size(u.totalBytes())));
            } catch (FsException e) {
                down++;
                out.append(String.format("data server   %-21s DOWN  %s%n", at, e.getMessage()));
            }
        }
        out.append(String.format("pending heal  %d replicas missed a write%n", missed));
        out.append(String.format("garbage       %d freed files' replicas pending deletion%n", garbage));
        String last = meta.state(Healer.LAST_SCRUB);
        String cursor = meta.state(Healer.SCRUB_CURSOR);
        long unrepairable = 0;
        if (last.isEmpty()) {
            out.append("last scrub    none finished yet\n");
        } else {
            Map<String, String> f = fields(last);
            unrepairable = Long.parseLong(f.getOrDefault("unrepairable", "0"));
            out.append(String.format("last scrub    finished %s: %s blocks checked, %s bad replicas, %s repaired, %s unrepairable%n",
                    Instant.ofEpochMilli(Long.parseLong(f.get("finished"))), f.get("checked"), f.get("bad"),
                    f.get("repaired"), f.get("unrepairable")));
        }
        if (!cursor.isEmpty()) {
            out.append(String.format("scrubbing     %s of %d blocks checked in this pass, %s bad so far%n",
                    orZero(meta.state(Healer.SCRUB_CHECKED)), counts.blocks(),
                    orZero(meta.state(Healer.SCRUB_BAD))));
        }
        out.append(String.format("healer        %s replicas healed, %s replicas deleted as garbage, in all%n",
                orZero(meta.state(Healer.HEALED_TOTAL)), orZero(meta.state(Healer.GARBAGE_TOTAL))));
        boolean degraded = down > 0 || missed > 0 || unrepairable > 0;
        System.out.print((degraded ? "DEGRADED" : "healthy") + "\n" + out);
        return degraded ? DEGRADED : HEALTHY;
    }

    /** Every block of one file and, on each data server, whether its replica is good. */
    private int file(MetaService meta) {
        long ino;
        try {
            ino = ((Number) Files.getAttribute(path, "unix:ino")).longValue();
        } catch (Exception e) {
            System.err.println("status: cannot stat " + path + ": " + e.getMessage());
            return UNREACHABLE;
        }
        Object[] blocks = meta.blocks(Wire.ofLong(ino), 0, 10_000);
        System.out.printf("%s: inode %d, %d blocks%n", path, ino, blocks.length);
        // One client per server for the whole listing, not one per block.
        Map<HostAndPort, DataService> servers = new java.util.LinkedHashMap<>();
        for (HostAndPort at : org.quorumfs.mediator.MediatorConfig.endpoints(cluster.data)) {
            servers.put(at, new RpcClient(at, QUICK).proxy(DataService.class));
        }
        StringBuilder header = new StringBuilder(String.format("%-6s %-10s %-32s", "block", "version", "md5"));
        for (HostAndPort at : servers.keySet()) {
            header.append(String.format(" %-10s", at.getPort()));
        }
        System.out.println(header.toString().stripTrailing());
        boolean allGood = true;
        for (Object o : blocks) {
            BlockStatus b = BlockStatus.fromWire(o);
            StringBuilder row = new StringBuilder(String.format("%-6d %-10d %-32s", b.block().index(),
                    b.block().version(), b.block().md5()));
            for (DataService ds : servers.values()) {
                String state = replica(ds, ino, b);
                allGood &= state.equals("good");
                row.append(String.format(" %-10s", state));
            }
            System.out.println(row.toString().stripTrailing());
        }
        return allGood ? HEALTHY : DEGRADED;
    }

    private static String replica(DataService ds, long ino, BlockStatus b) {
        try {
            ReplicaCheck c = ReplicaCheck.fromWire(ds.check(Wire.ofLong(ino), b.block().index(), Wire.ofLong(b.block().version())));
            if (c.found()) {
                return c.vouchesFor(b.block()) ? "good" : "corrupt";
            }
            Object[] held = ds.list(Map.of("ino", Wire.ofLong(ino), "index", b.block().index(), "version", "0"), 1);
            boolean older = held.length > 0 && ReplicaInfo.fromWire(held[0]).ino() == ino
                    && ReplicaInfo.fromWire(held[0]).index() == b.block().index();
            return older ? "stale" : "missing";
        } catch (FsException e) {
            return "down";
        }
    }

    private static Map<String, String> fields(String summary) {
        Map<String, String> m = new java.util.HashMap<>();
        for (String kv : summary.split(" ")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return m;
    }

    private static String orZero(String v) {
        return v.isEmpty() ? "0" : v;
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        int unit = (63 - Long.numberOfLeadingZeros(bytes)) / 10;
        return String.format("%.1f %siB", bytes / (double) (1L << (10 * unit)), " KMGTPE".charAt(unit));
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new StatusMain()).execute(args));
    }
}
