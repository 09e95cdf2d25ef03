package org.quorumfs.mediator;

import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.DataService;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.Md5;
import org.quorumfs.common.protocol.PieceCheck;
import org.quorumfs.common.protocol.ReplicaBytes;
import org.quorumfs.common.protocol.Wire;
import org.quorumfs.common.rpc.Base64Target;
import org.quorumfs.common.rpc.EncodedCall;

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
 * Quorum reads verified piece by piece ({@link Limits#PIECE_SIZE} bytes, each with an MD5 the
 * meta-server committed with the block). Part of a block: Qr servers are asked, one for the bytes
 * of the pieces the part lies in and the others to vouch for those pieces' MD5s. A whole block:
 * each of the Qr servers sends its share of the pieces, a contiguous run of them. Bytes are
 * returned only if every piece matches its MD5. This is the fast path only: when anything is off
 * (a replica bad, stale or silent, replicas recorded as having missed the write, a block without
 * piece MD5s, read-all mode) it answers nothing and the caller reads the whole block through
 * {@link BlockReader}, which widens to the other servers, verifies and repairs.
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

        Optional<List<DataServerHandle>> quorum = quorum(ino + block.index() + first);
        if (quorum.isEmpty()) {
            return Optional.empty();
        }
        List<DataServerHandle> servers = quorum.get();
        String id = Wire.ofLong(ino);
        String version = Wire.ofLong(block.version());
        Future<Map<String, Object>> bytes = replicas.submit(servers.get(0),
                ds -> ds.getRange(id, block.index(), version, from, to - from));
        List<Future<Map<String, Object>>> vouches = new ArrayList<>();
        for (DataServerHandle s : servers.subList(1, servers.size())) {
            vouches.add(replicas.submit(s, ds -> ds.checkPieces(id, block.index(), version, first, count)));
        }
        return Optional.of(new Pending(offset, end, from, to, expected, bytes, vouches, deadline(servers)));
    }

    /**
     * The whole block, each of the Qr servers sending its share of the pieces; or empty: read it
     * through {@link BlockReader}. Qr servers answer for the block as in a whole-block read (where
     * one sends it and the others vouch for it), but no server reads and hashes its whole replica
     * only to vouch, and each sends 1/Qr of the bytes. Not for Qr = 1 or a block of fewer pieces
     * than Qr, which the whole-block read serves as well.
     */
    Optional<byte[]> readShared(long ino, BlockStatus status) {
        BlockRecord block = status.block();
        int pieces = Md5.pieceCount(block.length());
        if (config.qr() < 2 || pieces < config.qr() || !block.hasPieces() || config.readAll()
                || !status.missed().isEmpty()) {
            return Optional.empty();
        }
        Optional<List<DataServerHandle>> quorum = quorum(ino + block.index());
        if (quorum.isEmpty()) {
            return Optional.empty();
        }
        List<DataServerHandle> servers = quorum.get();
        String id = Wire.ofLong(ino);
        String version = Wire.ofLong(block.version());
        byte[] out = new byte[block.length()];
        List<Share> shares = new ArrayList<>(servers.size());
        for (int i = 0; i < servers.size(); i++) {
            int first = pieces * i / servers.size();
            int count = pieces * (i + 1) / servers.size() - first;
            int from = first * Limits.PIECE_SIZE;
            int to = Math.min(block.length(), (first + count) * Limits.PIECE_SIZE);
            // Each share is decoded straight into the block (Base64Target says why).
            Base64Target into = new Base64Target(out, from, to - from);
            EncodedCall call = EncodedCall.of(DataService.class, "getRange", id, block.index(), version, from, to - from)
                    .decodingInto(into);
            shares.add(new Share(from, to, block.pieceMd5s(first, count), into, replicas.submitStruct(servers.get(i), call)));
        }
        long deadline = deadline(servers);
        try {
            for (Share share : shares) {
                Optional<byte[]> d = ReplicaBytes.fromWire(
                        share.bytes().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)).bytes();
                if (d.isEmpty() || !share.landedIn(out, d.get())
                        || !Md5.pieces(out, share.from(), share.to()).equals(share.expected())) {
                    return Optional.empty();
                }
            }
        } catch (ExecutionException | TimeoutException | FsException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        stats.blockReads.incrementAndGet();
        stats.sharedReads.incrementAndGet();
        return Optional.of(out);
    }

    /**
     * Bytes [from, to) of a block asked of one server, the MD5s of the pieces they must be, and
     * where they are decoded.
     */
    private record Share(int from, int to, String expected, Base64Target into, Future<Map<String, Object>> bytes) {
        /**
         * Whether all of the share's bytes are in {@code block}: decoded there, or answered in an
         * array of their own (an answer not in our servers' layout), which is copied there.
         */
        boolean landedIn(byte[] block, byte[] answered) {
            if (into.decoded() >= 0) {
                return into.decoded() == to - from;
            }
            if (answered.length != to - from) {
                return false;
            }
            System.arraycopy(answered, 0, block, from, answered.length);
            return true;
        }
    }

    /**
     * The Qr servers to ask, in an order that starts at {@code seed} modulo N (spreading reads
     * across servers); empty when one of them is down or hung, which the whole-block read asks around.
     */
    private Optional<List<DataServerHandle>> quorum(long seed) {
        List<DataServerHandle> servers = replicas.rotated(seed);
        servers.sort(Comparator.comparing(DataServerHandle::avoid));
        servers = servers.subList(0, config.qr());
        return servers.stream().anyMatch(DataServerHandle::avoid) ? Optional.empty() : Optional.of(servers);
    }

    /** Not answered within the slowest server's hedge delay: the whole-block read asks the others. */
    private static long deadline(List<DataServerHandle> servers) {
        return System.nanoTime() + servers.stream().mapToLong(DataServerHandle::hedgeAfterNanos).max().orElse(0);
    }

    /** Whether {@code data} is {@code length} bytes whose pieces have the MD5s {@code expected}. */
    private static boolean matches(byte[] data, int length, String expected) {
        return data.length == length && Md5.pieces(data).equals(expected);
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
                if (d.isPresent() && matches(d.get(), to - from, expected)) {
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
