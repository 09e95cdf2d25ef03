package org.quorumfs.mediator;

import org.quorumfs.common.protocol.BlockCommit;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.DataService;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.Wire;
import org.quorumfs.common.rpc.EncodedCall;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Quorum writes of one block. The new contents go to all N servers in parallel under a fresh,
 * cluster-unique version (so a write never overwrites a replica anyone relies on); once at least
 * Qw stored it, the meta-server commits version and MD5 by compare-and-set, recording the servers
 * that missed it. Fewer than Qw: EIO, and the previously committed version is untouched.
 */
final class BlockWriter {
    private static final Logger log = LoggerFactory.getLogger(BlockWriter.class);

    private final ReplicaSet replicas;
    private final MetaService meta;
    private final VersionAllocator versions;
    private final MediatorConfig config;
    private final MediatorStats stats;

    BlockWriter(ReplicaSet replicas, MetaService meta, VersionAllocator versions, MediatorConfig config,
                MediatorStats stats) {
        this.replicas = replicas;
        this.meta = meta;
        this.versions = versions;
        this.config = config;
        this.stats = stats;
    }

    /** Stores {@code data} on the data servers; returns the commit to make current from {@code expectedVersion}. */
    BlockCommit store(long ino, int index, byte[] data, long expectedVersion) {
        BlockRecord block = BlockRecord.of(index, versions.next(expectedVersion), data);
        // One request body for all N: the same bytes go to every server.
        EncodedCall put = EncodedCall.of(DataService.class, "put", Wire.ofLong(ino), index,
                Wire.ofLong(block.version()), data);
        CompletionService<DataServerHandle> puts = replicas.completionService();
        Set<DataServerHandle> answered = ConcurrentHashMap.newKeySet();
        // The body is used again once the last send ended, which may be after this method
        // returned (a put still out after the grace period); a send never started keeps it.
        AtomicInteger sending = new AtomicInteger(replicas.size());
        for (DataServerHandle s : replicas.servers()) {
            puts.submit(() -> {
                try {
                    s.send(put, Boolean.class);
                    return s;
                } finally {
                    answered.add(s);
                    if (sending.decrementAndGet() == 0) {
                        put.release();
                    }
                }
            });
        }
        List<FsException> failures = new ArrayList<>();
        List<DataServerHandle> stored = awaitStores(puts, replicas.size(), failures, answered);
        List<String> missed = new ArrayList<>();
        for (DataServerHandle s : replicas.servers()) {
            if (!stored.contains(s)) {
                missed.add(s.id());
            }
        }
        if (stored.size() < config.qw()) {
            String what = "block " + index + " of inode " + ino + " stored on " + stored.size() + " of "
                    + replicas.size() + " data servers, write quorum is " + config.qw();
            if (!config.warnOnWriteQuorumLoss() || stored.isEmpty()) {
                stats.quorumFailures.incrementAndGet();
                discard(ino, block, stored);
                // Full disks kept the quorum from storing it: the application gets ENOSPC, not EIO.
                boolean full = failures.stream().anyMatch(f -> f.code() == ErrorCode.NO_SPACE);
                throw new FsException(full ? ErrorCode.NO_SPACE : ErrorCode.IO, what
                        + (full ? " (data server disk full)" : ""));
            }
            log.warn("{}: committing anyway (warn-on-write-quorum-loss)", what);
        }
        return new BlockCommit(block, expectedVersion, missed);
    }

    /**
     * Makes a stored block current at the meta-server; returns the file's new attributes as the
     * meta-server reported them. A lost compare-and-set throws {@code VERSION_CONFLICT}.
     */
    Map<String, Object> commit(long ino, BlockCommit commit) {
        BlockRecord block = commit.block();
        Map<String, Object> attrs;
        try {
            attrs = meta.commitBlock(Wire.ofLong(ino), commit.toWire());
        } catch (FsException e) {
            if (e.code() == ErrorCode.VERSION_CONFLICT && committedVersion(ino, block.index()) == block.version()) {
                // Our commit did land; the conflict is from a resend of it.
                return meta.getattr(Wire.ofLong(ino));
            }
            if (e.code() != ErrorCode.UNAVAILABLE) {
                discardEverywhere(ino, block);
            }
            throw e;
        }
        stats.blockWrites.incrementAndGet();
        if (commit.expectedVersion() != 0) {
            replicas.bestEffortEverywhere("prune", ds -> ds.prune(Wire.ofLong(ino), block.index(),
                    Wire.ofLong(block.version())));
        }
        return attrs;
    }

    private long committedVersion(long ino, int index) {
        Object[] blocks = meta.blocks(Wire.ofLong(ino), index, 1);
        return blocks.length == 0 ? 0 : BlockStatus.fromWire(blocks[0]).block().version();
    }

    /**
     * Collects puts as they finish; once Qw succeeded, waits at most the grace period for the rest,
     * and not at all when every one still out is a server believed down or hung at its last call.
     */
    private List<DataServerHandle> awaitStores(CompletionService<DataServerHandle> puts, int count,
                                               List<FsException> failures, Set<DataServerHandle> answered) {
        List<DataServerHandle> stored = new ArrayList<>();
        long graceEnd = 0;
        for (int done = 0; done < count; done++) {
            try {
                Future<DataServerHandle> f;
                if (stored.size() < config.qw()) {
                    f = puts.take();
                } else {
                    if (graceEnd == 0) {
                        // Only servers known down or hung still out: no grace to wait for them
                        // (puts already answered are still collected).
                        List<DataServerHandle> out = replicas.servers().stream().filter(s -> !answered.contains(s)).toList();
                        boolean onlyAvoided = !out.isEmpty() && out.stream().allMatch(DataServerHandle::avoid);
                        graceEnd = System.nanoTime() + (onlyAvoided ? 0 : config.writeGrace().toNanos());
                    }
                    f = puts.poll(Math.max(0, graceEnd - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (f == null) {
                        log.debug("{} puts still running after the grace period; recorded as missed", count - done);
                        break;
                    }
                }
                stored.add(f.get());
            } catch (ExecutionException ex) {
                log.debug("put failed: {}", ex.getCause().getMessage());
                if (ex.getCause() instanceof FsException fs) {
                    failures.add(fs);
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new FsException(ErrorCode.IO, "interrupted");
            }
        }
        return stored;
    }

    private void discard(long ino, BlockRecord block, List<DataServerHandle> on) {
        replicas.bestEffort(on, "discard", ds -> ds.delete(Wire.ofLong(ino), block.index(), Wire.ofLong(block.version())));
    }

    void discardEverywhere(long ino, BlockRecord block) {
        discard(ino, block, replicas.servers());
    }
}
