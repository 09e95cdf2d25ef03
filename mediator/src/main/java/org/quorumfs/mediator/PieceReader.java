package org.quorumfs.mediator;

import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.Md5;
import org.quorumfs.common.protocol.PieceCheck;
import org.quorumfs.common.protocol.ReplicaBytes;
import org.quorumfs.common.protocol.Wire;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Quorum reads of part of a block that move and verify only the {@link Limits#PIECE_SIZE} pieces
 * the part lies in: Qr servers are asked, one for the pieces' bytes and the others to vouch for the
 * pieces' MD5s, and the bytes are returned only if every one of them matches the piece MD5s the
 * meta-server committed. This is the fast path only: when anything is off (a replica bad, stale or
 * silent, replicas recorded as having missed the write, a block without piece MD5s, read-all mode)
 * it answers nothing and the caller reads the whole block through {@link BlockReader}, which widens
 * to the other servers, verifies and repairs.
 */
final class PieceReader {
    private final ReplicaSet replicas;
    private final MediatorConfig config;
    private final MediatorStats stats;

    PieceReader(ReplicaSet replicas, MediatorConfig config, MediatorStats stats) {
        this.replicas = replicas;
        this.config = config;
        this.stats = stats;
    }

    /** Verified bytes [offset, offset + length) of the block (fewer at its end), or empty: read it whole. */
    Optional<byte[]> read(long ino, BlockStatus status, int offset, int length) {
        return start(ino, status, offset, length).flatMap(Pending::finish);
    }

    /**
     * Asks for the pieces [offset, offset + length) lie in and returns at once; {@link Pending#finish}
     * judges the answers. Empty when the fast path does not apply (see the class comment).
     */
    Optional<Pending> start(long ino, BlockStatus status, int offset, int length) {
        BlockRecord block = status.block();
        if (!block.hasPieces() || config.readAll() || !status.missed().isEmpty()) {
            return Optional.empty();
        }
        int end = Math.min(block.length(), offset + length);
        if (offset >= end) {
            return Optional.of(new Pending(offset, end, 0, 0, null, null, List.of(), 0));
        }
        int first = offset / Limits.PIECE_SIZE;
        int count = (end - 1) / Limits.PIECE_SIZE - first + 1;
        int from = first * Limits.PIECE_SIZE;
        int to = Math.min(block.length(), (first + count) * Limits.PIECE_SIZE);
        String expected = block.pieceMd5s(first, count);

        List<DataServerHandle> servers = replicas.rotated(ino + block.index() + first);
        servers.sort(Comparator.comparing(DataServerHandle::avoid));
        servers = servers.subList(0, config.qr());
        if (servers.stream().anyMatch(DataServerHandle::avoid)) {
            return Optional.empty(); // the whole-block read asks around a down or hung server
        }
        String id = Wire.ofLong(ino);
        String version = Wire.ofLong(block.version());
        Future<Map<String, Object>> bytes = replicas.submit(servers.get(0),
                ds -> ds.getRange(id, block.index(), version, from, to - from));
        List<Future<Map<String, Object>>> vouches = new ArrayList<>();
        for (DataServerHandle s : servers.subList(1, servers.size())) {
            vouches.add(replicas.submit(s, ds -> ds.checkPieces(id, block.index(), version, first, count)));
        }
        // Not answered within a hedge delay: the whole-block read asks the other servers.
        long deadline = System.nanoTime() + servers.stream().mapToLong(DataServerHandle::hedgeAfterNanos).max().orElse(0);
        return Optional.of(new Pending(offset, end, from, to, expected, bytes, vouches, deadline));
    }

    /** A piece read asked for: the bytes from one server, the pieces' MD5s from the others. */
    final class Pending {
        private final int offset;
        private final int end;
        private final int from;
        private final int to;
        private final String expected;
        private final Future<Map<String, Object>> bytes;
        private final List<Future<Map<String, Object>>> vouches;
        private final long deadlineNanos;

        private Pending(int offset, int end, int from, int to, String expected, Future<Map<String, Object>> bytes,
                        List<Future<Map<String, Object>>> vouches, long deadlineNanos) {
            this.offset = offset;
            this.end = end;
            this.from = from;
            this.to = to;
            this.expected = expected;
            this.bytes = bytes;
            this.vouches = vouches;
            this.deadlineNanos = deadlineNanos;
        }

        /** The verified bytes, or empty: read the block whole. */
        Optional<byte[]> finish() {
            if (offset >= end) {
                return Optional.of(new byte[0]);
            }
            byte[] data = null;
            boolean allGood = true;
            try {
                Map<String, Object> r = bytes.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
                Optional<byte[]> d = ReplicaBytes.fromWire(r).bytes();
                if (d.isPresent() && d.get().length == to - from && Md5.pieces(d.get()).equals(expected)) {
                    data = d.get();
                }
                for (Future<Map<String, Object>> f : vouches) {
                    Map<String, Object> v = f.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
                    allGood &= PieceCheck.fromWire(v).vouchesFor(expected);
                }
            } catch (ExecutionException | TimeoutException | FsException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
            if (data == null || !allGood) {
                return Optional.empty();
            }
            stats.pieceReads.incrementAndGet();
            return Optional.of(Arrays.copyOfRange(data, offset - from, end - from));
        }
    }
}
