package org.quorumfs.mediator;

import com.google.common.net.HostAndPort;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.DataService;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FileBlock;
import org.quorumfs.common.protocol.FsCounts;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.MissedReplica;
import org.quorumfs.common.protocol.ReplicaBytes;
import org.quorumfs.common.protocol.ReplicaInfo;
import org.quorumfs.common.protocol.Wire;
import org.quorumfs.common.rpc.EncodedCall;
import org.quorumfs.common.rpc.RpcClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * The cluster's background upkeep, one round at a time (what {@code scripts/healer} runs):
 * <ul>
 * <li><b>heal</b>: every replica the meta-server recorded as having missed a write, on a server
 * that answers now, is copied from a replica verified against the committed MD5, and its record
 * cleared only for the version written (when no good copy comes that simply, the read path's
 * whole-block read widens, verifies and repairs);</li>
 * <li><b>garbage</b>: replicas of freed inodes, and replicas that are neither the committed
 * version nor younger than a grace period (a write in flight is young), are deleted;</li>
 * <li><b>scrub</b>: every committed block is read from all N servers and checked against its MD5,
 * throttled, from a cursor kept at the meta-server so that a restarted healer resumes; a bad or
 * missing replica is repaired through the same path.</li>
 * </ul>
 * Counters and the scrub's progress are kept at the meta-server ({@link MetaService#state}), where
 * {@code scripts/status} reads them.
 */
public final class Healer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Healer.class);
    private static final int PAGE = 1000;
    /** Blocks healed at once: enough to keep the servers' disks busy, few enough to stay polite. */
    private static final int PARALLEL = 6;

    /**
     * The background scrub's pass; {@code scripts/scrub} runs its own ({@link #MANUAL_SCRUB}) so
     * that the two never share a cursor or counters. Each keeps at the meta-server
     * {@code PASS.cursor}, {@code .started}, {@code .checked}, {@code .bad}, {@code .repaired},
     * {@code .unrepairable}; whichever finishes records {@link #LAST_SCRUB}.
     */
    public static final String BACKGROUND_SCRUB = "scrub";
    public static final String MANUAL_SCRUB = "manual-scrub";
    public static final String SCRUB_CURSOR = BACKGROUND_SCRUB + ".cursor";
    public static final String SCRUB_CHECKED = BACKGROUND_SCRUB + ".checked";
    public static final String SCRUB_BAD = BACKGROUND_SCRUB + ".bad";
    public static final String LAST_SCRUB = "scrub.last";
    public static final String HEALED_TOTAL = "heal.repaired";
    public static final String GARBAGE_TOTAL = "gc.deleted";

    private final Mediator mediator;
    /** Reads every replica of a block: what a scrub is. */
    private final Mediator everyReplica;
    private final MetaService meta;
    private final Map<String, DataService> data = new LinkedHashMap<>();
    private final Map<String, RpcClient> clients = new LinkedHashMap<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(PARALLEL, r -> {
        Thread t = new Thread(r, "heal");
        t.setDaemon(true);
        return t;
    });

    public Healer(MediatorConfig config) {
        this.mediator = Mediator.connect(config);
        this.everyReplica = Mediator.connect(config.withSeedModes(false, true));
        this.meta = new RpcClient(config.meta(), config.timeouts()).proxy(MetaService.class);
        for (HostAndPort endpoint : config.data()) {
            RpcClient client = new RpcClient(endpoint, config.timeouts());
            clients.put(endpoint.toString(), client);
            data.put(endpoint.toString(), client.proxy(DataService.class));
        }
    }

    public MetaService meta() {
        return meta;
    }

    /** The data servers that answer a ping now, by id. */
    public Set<String> answering() {
        Set<String> up = new LinkedHashSet<>();
        data.forEach((id, ds) -> {
            try {
                ds.ping();
                up.add(id);
            } catch (FsException e) {
                log.debug("{} does not answer: {}", id, e.getMessage());
            }
        });
        return up;
    }

    /** A block of a file, as the records of missed replicas name it. */
    private record BlockOf(long ino, int index) {
    }

    /**
     * Heals every recorded missed replica on a server that answers now. Returns how many records
     * were cleared.
     */
    public int healMissed() {
        Set<String> up = answering();
        Map<BlockOf, List<String>> byBlock = new LinkedHashMap<>();
        for (Object o : meta.missedReplicas(PAGE * 10)) {
            MissedReplica m = MissedReplica.fromWire(o);
            if (up.contains(m.server())) {
                byBlock.computeIfAbsent(new BlockOf(m.ino(), m.index()), k -> new ArrayList<>()).add(m.server());
            }
        }
        if (byBlock.isEmpty()) {
            return 0;
        }
        long before = mediator.stats().repairs.get();
        java.util.concurrent.atomic.AtomicInteger copied = new java.util.concurrent.atomic.AtomicInteger();
        List<Future<?>> work = new ArrayList<>();
        byBlock.forEach((block, servers) ->
                work.add(pool.submit(() -> copied.addAndGet(healBlock(block.ino(), block.index(), servers, up)))));
        awaitAll(work);
        int repaired = copied.get() + (int) (mediator.stats().repairs.get() - before);
        add(HEALED_TOTAL, repaired);
        log.info("healed {} replicas that missed writes ({} blocks)", repaired, byBlock.size());
        return repaired;
    }

    /**
     * Copies block {@code index} of {@code ino} to the servers that missed it: the bytes of one
     * server that did not miss it, verified against the committed MD5 here, are put to each of
     * them and their records cleared for that version. When no such copy comes (that server bad
     * or gone), the read path's whole-block read widens, verifies and repairs instead. Returns how
     * many replicas this copy healed.
     */
    private int healBlock(long ino, int index, List<String> targets, Set<String> up) {
        try {
            List<BlockStatus> found = mediator.blocks(ino, index, 1);
            if (found.isEmpty() || found.get(0).block().index() != index) {
                return 0; // the block is gone (truncated, deleted): its records went with it
            }
            BlockStatus status = found.get(0);
            BlockRecord b = status.block();
            String id = Wire.ofLong(ino);
            String version = Wire.ofLong(b.version());
            byte[] bytes = null;
            for (String source : up) {
                if (!status.missed().contains(source)) {
                    bytes = verifiedCopy(source, id, index, version, b);
                    if (bytes != null) {
                        break;
                    }
                }
            }
            if (bytes == null) {
                mediator.readAndRepair(ino, status);
                return 0;
            }
            EncodedCall put = EncodedCall.of(DataService.class, "put", id, index, version, bytes);
            int healed = 0;
            try {
                for (String target : targets) {
                    if (!status.missed().contains(target)) {
                        continue;
                    }
                    clients.get(target).send(put, Boolean.class);
                    data.get(target).prune(id, index, version); // an older version it may still hold
                    if (meta.clearMissed(id, index, target, version)) {
                        healed++;
                        log.info("healed replica on {}: inode {} block {} version {}", target, ino, index, b.version());
                    }
                }
            } finally {
                put.release(); // every send of it ended (they are made one by one, here)
            }
            return healed;
        } catch (FsException e) {
            log.warn("inode {} block {}: heal failed, retried next round: {}", ino, index, e.getMessage());
            return 0;
        }
    }

    private byte[] verifiedCopy(String source, String ino, int index, String version, BlockRecord b) {
        try {
            Optional<byte[]> got = ReplicaBytes.fromWire(data.get(source).get(ino, index, version)).bytes();
            return got.filter(b::isExactly).orElse(null);
        } catch (FsException e) {
            return null;
        }
    }

    /** Deletes the replicas of inodes freed while no client could (a lapsed session's). */
    public int collectFreedInodes() {
        int n = mediator.collectGarbage(PAGE);
        add(GARBAGE_TOTAL, n);
        return n;
    }

    /**
     * One pass over every replica on every answering server: deletes those of inodes that no longer
     * exist, and those that are not their block's committed version and were last written longer
     * than {@code grace} ago. Returns how many were deleted.
     */
    public int collectGarbage(Duration grace) {
        int deleted = 0;
        for (String id : answering()) {
            DataService ds = data.get(id);
            Map<String, Object> after = Map.of();
            while (true) {
                Object[] page = ds.list(after, PAGE);
                if (page.length == 0) {
                    break;
                }
                List<ReplicaInfo> replicas = new ArrayList<>();
                for (Object o : page) {
                    replicas.add(ReplicaInfo.fromWire(o));
                }
                deleted += collectPage(id, ds, replicas, grace);
                ReplicaInfo last = replicas.get(replicas.size() - 1);
                after = Map.of("ino", Wire.ofLong(last.ino()), "index", last.index(), "version", Wire.ofLong(last.version()));
                if (page.length < PAGE) {
                    break;
                }
            }
        }
        add(GARBAGE_TOTAL, deleted);
        if (deleted > 0) {
            log.info("garbage collection deleted {} replicas", deleted);
        }
        return deleted;
    }

    private int collectPage(String server, DataService ds, List<ReplicaInfo> page, Duration grace) {
        Map<Long, List<ReplicaInfo>> byInode = new TreeMap<>();
        for (ReplicaInfo r : page) {
            byInode.computeIfAbsent(r.ino(), k -> new ArrayList<>()).add(r);
        }
        long oldEnough = System.currentTimeMillis() - grace.toMillis();
        int deleted = 0;
        for (Map.Entry<Long, List<ReplicaInfo>> e : byInode.entrySet()) {
            String ino = Wire.ofLong(e.getKey());
            List<ReplicaInfo> rs = e.getValue();
            int from = rs.stream().mapToInt(ReplicaInfo::index).min().orElse(0);
            int to = rs.stream().mapToInt(ReplicaInfo::index).max().orElse(0);
            Map<Integer, Long> committed = new HashMap<>();
            try {
                for (BlockStatus b : mediator.blocks(e.getKey(), from, to - from + 1)) {
                    committed.put(b.block().index(), b.block().version());
                }
            } catch (FsException ex) {
                if (ex.code() == ErrorCode.STALE || ex.code() == ErrorCode.INVALID_ARGUMENT
                        || ex.code() == ErrorCode.IS_DIRECTORY) {
                    // No such file (inode numbers are never reused): every replica of it is garbage.
                    int n = ds.deleteInode(ino);
                    log.info("deleted {} replicas of freed inode {} on {}", n, ino, server);
                    deleted += n;
                } else {
                    log.warn("garbage check of inode {} skipped: {}", ino, ex.getMessage());
                }
                continue;
            }
            for (ReplicaInfo r : rs) {
                Long current = committed.get(r.index());
                if ((current == null || current != r.version()) && r.modifiedMillis() < oldEnough) {
                    deleted += ds.delete(ino, r.index(), Wire.ofLong(r.version()));
                    log.info("deleted replica on {}: inode {} block {} version {} ({})", server, ino, r.index(),
                            r.version(), current == null ? "no such block" : "committed is " + current);
                }
            }
        }
        return deleted;
    }

    /** Whether a scrub pass is under way, or the last one finished at least {@code every} ago. */
    public boolean scrubDue(Duration every) {
        if (!meta.state(SCRUB_CURSOR).isEmpty()) {
            return true;
        }
        String last = meta.state(LAST_SCRUB);
        int at = last.indexOf("finished=");
        if (at < 0) {
            return true;
        }
        long finished = Long.parseLong(last.substring(at + 9, last.indexOf(' ', at)));
        return System.currentTimeMillis() - finished >= every.toMillis();
    }

    /** Progress of a scrub pass, for a progress bar. */
    public record ScrubProgress(long checked, long total, long bad, long repaired, long unrepairable) {
    }

    /** {@link #scrub(String, int, long, Consumer)} of the background pass. */
    public boolean scrub(int maxBlocks, long bytesPerSecond, Consumer<ScrubProgress> progress) {
        return scrub(BACKGROUND_SCRUB, maxBlocks, bytesPerSecond, progress);
    }

    /** Forgets where pass {@code pass} was: its next slice starts a new pass. */
    public void restartScrub(String pass) {
        meta.setState(pass + ".cursor", "");
    }

    /**
     * Scrubs up to {@code maxBlocks} blocks of pass {@code pass} from its cursor kept at the
     * meta-server, at most {@code bytesPerSecond} of block data (0: unthrottled). Returns whether
     * the pass is complete (the cursor went back to the start).
     */
    public boolean scrub(String pass, int maxBlocks, long bytesPerSecond, Consumer<ScrubProgress> progress) {
        String cursorKey = pass + ".cursor";
        String checkedKey = pass + ".checked";
        String badKey = pass + ".bad";
        String repairedKey = pass + ".repaired";
        String unrepairableKey = pass + ".unrepairable";
        String cursor = meta.state(cursorKey);
        if (cursor.isEmpty()) {
            cursor = "0/-1";
            meta.setState(pass + ".started", Long.toString(System.currentTimeMillis()));
            for (String k : List.of(checkedKey, badKey, repairedKey, unrepairableKey)) {
                meta.setState(k, "0");
            }
        }
        String afterIno = cursor.substring(0, cursor.indexOf('/'));
        int afterIndex = Integer.parseInt(cursor.substring(cursor.indexOf('/') + 1));
        long total = FsCounts.fromWire(meta.statfs()).blocks();
        long checked = number(checkedKey);
        long bad = number(badKey);
        long repaired = number(repairedKey);
        long unrepairable = number(unrepairableKey);
        long started = System.nanoTime();
        long bytes = 0;
        int done = 0;
        while (done < maxBlocks) {
            Object[] page = meta.blocksAfter(afterIno, afterIndex, Math.min(100, maxBlocks - done));
            if (page.length == 0) {
                finishPass(pass, checked, bad, repaired, unrepairable);
                return true;
            }
            for (Object o : page) {
                FileBlock fb = FileBlock.fromWire(o);
                long ino = fb.ino();
                BlockStatus status = fb.status();
                long seenBefore = everyReplica.stats().badReplicasSeen.get();
                long repairsBefore = everyReplica.stats().repairs.get();
                try {
                    everyReplica.readAndRepair(ino, status);
                } catch (FsException e) {
                    if (e.code() != ErrorCode.STALE && e.code() != ErrorCode.INVALID_ARGUMENT) {
                        unrepairable++;
                        log.error("scrub: inode {} block {} has no good replica reachable: {}", ino,
                                status.block().index(), e.getMessage());
                    }
                }
                bad += everyReplica.stats().badReplicasSeen.get() - seenBefore;
                repaired += everyReplica.stats().repairs.get() - repairsBefore;
                checked++;
                done++;
                bytes += status.block().length();
                afterIno = Wire.ofLong(ino);
                afterIndex = status.block().index();
                progress.accept(new ScrubProgress(checked, Math.max(total, checked), bad, repaired, unrepairable));
                throttle(started, bytes, bytesPerSecond);
            }
            meta.setState(cursorKey, afterIno + "/" + afterIndex);
            meta.setState(checkedKey, Long.toString(checked));
            meta.setState(badKey, Long.toString(bad));
            meta.setState(repairedKey, Long.toString(repaired));
            meta.setState(unrepairableKey, Long.toString(unrepairable));
        }
        return false;
    }

    private void finishPass(String pass, long checked, long bad, long repaired, long unrepairable) {
        String summary = String.format("started=%s finished=%d checked=%d bad=%d repaired=%d unrepairable=%d",
                meta.state(pass + ".started"), System.currentTimeMillis(), checked, bad, repaired, unrepairable);
        meta.setState(LAST_SCRUB, summary);
        meta.setState(pass + ".cursor", "");
        log.info("scrub pass complete: {}", summary);
    }

    private static void throttle(long startedNanos, long bytes, long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            return;
        }
        long dueNanos = startedNanos + bytes * 1_000_000_000L / bytesPerSecond;
        long wait = dueNanos - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FsException(ErrorCode.IO, "interrupted");
            }
        }
    }

    private long number(String key) {
        String v = meta.state(key);
        return v.isEmpty() ? 0 : Long.parseLong(v);
    }

    private void add(String key, long n) {
        if (n > 0) {
            meta.setState(key, Long.toString(number(key) + n));
        }
    }

    private static void awaitAll(List<Future<?>> work) {
        for (Future<?> f : work) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                log.warn("heal task failed", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    public int blockSize() {
        return mediator.blockSize();
    }

    @Override
    public void close() {
        pool.shutdownNow();
        mediator.close();
        everyReplica.close();
    }
}
