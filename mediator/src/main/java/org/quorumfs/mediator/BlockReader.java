package org.quorumfs.mediator;

import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.ReplicaBytes;
import org.quorumfs.common.protocol.ReplicaCheck;
import org.quorumfs.common.protocol.Wire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Quorum reads of one block. Asks Qr servers (all N in read-all mode): one for the bytes, the
 * others only to vouch for their replica's length and MD5, so a quorum read moves one copy of the
 * data. Widens to the rest when any of them is bad, does not answer, or is slow: a server that has
 * not answered within its hedge delay (a few times its typical answer time) is not waited for
 * before the others are asked, so one hung server costs a read a fraction of a second, not the
 * reply timeout; servers that are down or were hung at their last call are asked last. Returns
 * bytes only if their version and MD5 match the committed ones, and rewrites every bad replica it
 * saw — and every replica recorded as having missed the write — from the good bytes before
 * returning.
 */
final class BlockReader {
    private static final Logger log = LoggerFactory.getLogger(BlockReader.class);

    private final ReplicaSet replicas;
    private final MetaService meta;
    private final MediatorConfig config;
    private final MediatorStats stats;

    BlockReader(ReplicaSet replicas, MetaService meta, MediatorConfig config, MediatorStats stats) {
        this.replicas = replicas;
        this.meta = meta;
        this.config = config;
        this.stats = stats;
    }

    private enum State { GOOD, BAD, NO_ANSWER }

    private record Answer(State state, byte[] data, String why) {
    }

    byte[] read(long ino, BlockStatus status) {
        BlockRecord block = status.block();
        List<DataServerHandle> missed = new ArrayList<>();
        List<DataServerHandle> candidates = new ArrayList<>();
        for (DataServerHandle s : replicas.rotated(ino + block.index())) {
            (status.missed().contains(s.id()) ? missed : candidates).add(s);
        }
        // Servers down or hung go last, so that one dead server does not make every read widen.
        candidates.sort(Comparator.comparing(DataServerHandle::avoid));
        int first = config.readAll() ? candidates.size() : Math.min(config.qr(), candidates.size());
        List<DataServerHandle> rest = new ArrayList<>(candidates.subList(first, candidates.size()));
        rest.addAll(missed);
        Map<DataServerHandle, Future<Asked>> slow = new LinkedHashMap<>();
        Map<DataServerHandle, Answer> answers = ask(ino, block, candidates.subList(0, first), true,
                rest.isEmpty() ? null : slow);
        if (answers.values().stream().anyMatch(a -> a.state() != State.GOOD) || answered(answers) < config.qr()) {
            answers.putAll(ask(ino, block, rest, good(answers) == null, null));
        }
        if (answered(answers) < config.qr() || good(answers) == null) {
            slow.forEach((s, f) -> answers.put(s, judge(block, f))); // nobody else left: wait for them after all
        }
        if (good(answers) == null) {
            fetchFromAVouchingServer(ino, block, answers);
        }
        int answered = answered(answers);
        byte[] data = good(answers);
        if (answered < config.qr()) {
            stats.quorumFailures.incrementAndGet();
            throw new FsException(ErrorCode.IO, "block " + block.index() + " of inode " + ino + ": only " + answered
                    + " of " + replicas.size() + " data servers answered, read quorum is " + config.qr());
        }
        if (data == null) {
            throw new FsException(ErrorCode.IO, "block " + block.index() + " of inode " + ino
                    + ": no data server holds a replica matching version " + block.version() + " and its MD5");
        }
        stats.blockReads.incrementAndGet();
        repair(ino, block, data, answers, missed);
        return data;
    }

    /**
     * Asks {@code servers} about the block in parallel: the first for the bytes when
     * {@code needData}, every other one only for a check of its replica. With {@code slow} given,
     * a server that has not answered within its hedge delay is left out of the answers and its
     * pending reply put in {@code slow}; without, every answer is waited for (up to the timeout).
     */
    private Map<DataServerHandle, Answer> ask(long ino, BlockRecord block, List<DataServerHandle> servers,
                                              boolean needData, Map<DataServerHandle, Future<Asked>> slow) {
        Map<DataServerHandle, Future<Asked>> pending = new LinkedHashMap<>();
        String id = Wire.ofLong(ino);
        String version = Wire.ofLong(block.version());
        boolean fetch = needData;
        for (DataServerHandle s : servers) {
            boolean bytes = fetch;
            pending.put(s, replicas.submit(s, ds -> bytes ? new Asked(true, ds.get(id, block.index(), version))
                    : new Asked(false, ds.check(id, block.index(), version))));
            fetch = false;
        }
        Map<DataServerHandle, Answer> answers = new LinkedHashMap<>();
        long started = System.nanoTime();
        pending.forEach((s, f) -> {
            if (slow != null && !answeredWithin(f, started + s.hedgeAfterNanos())) {
                log.debug("{} slow for inode {} block {}: asking the others", s, ino, block.index());
                slow.put(s, f);
            } else {
                answers.put(s, judge(block, f));
            }
        });
        return answers;
    }

    /** Whether {@code f} completes by {@code deadlineNanos}. */
    private static boolean answeredWithin(Future<?> f, long deadlineNanos) {
        try {
            f.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true; // answered with a failure: judged by the caller
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /** When only a check vouched for a good replica, its bytes are fetched from that server. */
    private void fetchFromAVouchingServer(long ino, BlockRecord block, Map<DataServerHandle, Answer> answers) {
        for (Map.Entry<DataServerHandle, Answer> e : answers.entrySet()) {
            if (e.getValue().state() == State.GOOD) {
                Answer a = judge(block, replicas.submit(e.getKey(),
                        ds -> new Asked(true, ds.get(Wire.ofLong(ino), block.index(), Wire.ofLong(block.version())))));
                if (a.state() != State.NO_ANSWER) {
                    e.setValue(a);
                }
                if (a.data() != null) {
                    return;
                }
            }
        }
    }

    /** A server's answer, as it came, and whether it was asked for the bytes or for a check. */
    private record Asked(boolean bytes, Map<String, Object> answer) {
    }

    private static Answer judge(BlockRecord block, Future<Asked> reply) {
        Asked r;
        try {
            r = reply.get();
        } catch (ExecutionException e) {
            return new Answer(State.NO_ANSWER, null, e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(State.NO_ANSWER, null, "interrupted");
        }
        String missing = "missing or stale (no replica of version " + block.version() + ")";
        try {
            if (!r.bytes()) {
                ReplicaCheck c = ReplicaCheck.fromWire(r.answer());
                return !c.found() ? new Answer(State.BAD, null, missing)
                        : c.vouchesFor(block) ? new Answer(State.GOOD, null, "vouched")
                        : new Answer(State.BAD, null, "corrupt (MD5 mismatch)");
            }
            Optional<byte[]> got = ReplicaBytes.fromWire(r.answer()).bytes();
            if (got.isEmpty()) {
                return new Answer(State.BAD, null, missing);
            }
            byte[] data = got.get();
            if (!block.isExactly(data)) {
                return new Answer(State.BAD, null, "corrupt (MD5 mismatch)");
            }
            return new Answer(State.GOOD, data, "good");
        } catch (FsException e) {
            return new Answer(State.BAD, null, "malformed reply");
        }
    }

    private void repair(long ino, BlockRecord block, byte[] data, Map<DataServerHandle, Answer> answers,
                        List<DataServerHandle> missed) {
        List<DataServerHandle> targets = new ArrayList<>();
        answers.forEach((s, a) -> {
            if (a.state() == State.BAD) {
                stats.badReplicasSeen.incrementAndGet();
                log.info("bad replica on data server {}: inode {} block {}: {}", s, ino, block.index(), a.why());
                targets.add(s);
            }
        });
        for (DataServerHandle s : missed) {
            Answer a = answers.get(s);
            if (a != null && a.state() == State.GOOD) {
                meta.clearMissed(Wire.ofLong(ino), block.index(), s.id(), Wire.ofLong(block.version()));
            } else if (a == null && !s.believedDown()) {
                targets.add(s);
            }
        }
        Map<DataServerHandle, Future<Boolean>> puts = new LinkedHashMap<>();
        for (DataServerHandle s : targets) {
            puts.put(s, replicas.submit(s, ds -> {
                ds.put(Wire.ofLong(ino), block.index(), Wire.ofLong(block.version()), data);
                // A server that was down when a newer version was committed still holds the old one.
                ds.prune(Wire.ofLong(ino), block.index(), Wire.ofLong(block.version()));
                return true;
            }));
        }
        puts.forEach((s, f) -> {
            try {
                f.get();
                stats.repairs.incrementAndGet();
                log.info("repaired replica on data server {}: inode {} block {} version {}", s, ino, block.index(),
                        block.version());
                if (missed.contains(s)) {
                    meta.clearMissed(Wire.ofLong(ino), block.index(), s.id(), Wire.ofLong(block.version()));
                }
            } catch (ExecutionException e) {
                log.info("could not repair replica on data server {}: inode {} block {}: {}", s, ino, block.index(),
                        e.getCause().getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (FsException e) {
                log.debug("clearing the missed record failed: {}", e.getMessage());
            }
        });
    }

    private static int answered(Map<DataServerHandle, Answer> answers) {
        return (int) answers.values().stream().filter(a -> a.state() != State.NO_ANSWER).count();
    }

    /** Verified bytes from a good answer that carried them, or null. */
    private static byte[] good(Map<DataServerHandle, Answer> answers) {
        return answers.values().stream().filter(a -> a.state() == State.GOOD && a.data() != null).map(Answer::data)
                .findFirst().orElse(null);
    }
}
