package org.quorumfs.dataserver;

import org.quorumfs.common.protocol.DataService;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.PieceCheck;
import org.quorumfs.common.protocol.ReplicaBytes;
import org.quorumfs.common.protocol.ReplicaCheck;
import org.quorumfs.common.protocol.ReplicaInfo;
import org.quorumfs.common.protocol.StoreSpace;
import org.quorumfs.common.protocol.Wire;

import java.util.Map;
import java.util.Optional;

/** The wire face of {@link ReplicaStore}: every id validated as a number before it is used. */
final class DataServiceImpl implements DataService {
    private final ReplicaStore store;

    DataServiceImpl(ReplicaStore store) {
        this.store = store;
    }

    @Override
    public boolean put(String ino, int index, String version, byte[] data) {
        if (data.length > Limits.MAX_BLOCK_SIZE) {
            throw new FsException(ErrorCode.TOO_LARGE, "replica of " + data.length + " bytes exceeds "
                    + Limits.MAX_BLOCK_SIZE);
        }
        store.put(Wire.positiveLong(ino, "ino"), Wire.nonNegativeInt(index, "index"),
                Wire.positiveLong(version, "version"), data);
        return true;
    }

    @Override
    public Map<String, Object> get(String ino, int index, String version) {
        Optional<byte[]> data = store.get(Wire.positiveLong(ino, "ino"), Wire.nonNegativeInt(index, "index"),
                Wire.positiveLong(version, "version"));
        return new ReplicaBytes(data).toWire();
    }

    @Override
    public Map<String, Object> check(String ino, int index, String version) {
        Optional<byte[]> data = store.get(Wire.positiveLong(ino, "ino"), Wire.nonNegativeInt(index, "index"),
                Wire.positiveLong(version, "version"));
        return data.map(ReplicaCheck::of).orElse(ReplicaCheck.absent()).toWire();
    }

    @Override
    public Map<String, Object> getRange(String ino, int index, String version, int offset, int length) {
        Optional<byte[]> data = store.read(Wire.positiveLong(ino, "ino"), Wire.nonNegativeInt(index, "index"),
                Wire.positiveLong(version, "version"), Wire.nonNegativeInt(offset, "offset"), rangeLength(length));
        return new ReplicaBytes(data).toWire();
    }

    @Override
    public Map<String, Object> checkPieces(String ino, int index, String version, int firstPiece, int count) {
        int first = Wire.nonNegativeInt(firstPiece, "firstPiece");
        if (count < 1 || count > Limits.MAX_BLOCK_SIZE / Limits.PIECE_SIZE) {
            throw FsException.invalid("count must be 1.." + Limits.MAX_BLOCK_SIZE / Limits.PIECE_SIZE);
        }
        if ((long) first * Limits.PIECE_SIZE >= Limits.MAX_BLOCK_SIZE) {
            throw FsException.invalid("firstPiece lies past the largest block");
        }
        Optional<byte[]> data = store.read(Wire.positiveLong(ino, "ino"), Wire.nonNegativeInt(index, "index"),
                Wire.positiveLong(version, "version"), first * Limits.PIECE_SIZE, count * Limits.PIECE_SIZE);
        return data.map(PieceCheck::of).orElse(PieceCheck.absent()).toWire();
    }

    private static int rangeLength(int length) {
        if (length < 0 || length > Limits.MAX_BLOCK_SIZE) {
            throw FsException.invalid("length must be 0.." + Limits.MAX_BLOCK_SIZE);
        }
        return length;
    }

    @Override
    public int delete(String ino, int index, String version) {
        long v = Wire.positiveLong(version, "version");
        return store.delete(Wire.positiveLong(ino, "ino"), Wire.nonNegativeInt(index, "index"), v, v);
    }

    @Override
    public int prune(String ino, int index, String belowVersion) {
        long below = Wire.positiveLong(belowVersion, "belowVersion");
        return store.delete(Wire.positiveLong(ino, "ino"), Wire.nonNegativeInt(index, "index"), 0, below - 1);
    }

    @Override
    public int deleteInode(String ino) {
        return store.deleteInode(Wire.positiveLong(ino, "ino"));
    }

    @Override
    public int deleteInodes(Object[] inos) {
        if (inos.length < 1 || inos.length > Limits.MAX_PAGE) {
            throw FsException.invalid("deleteInodes takes 1.." + Limits.MAX_PAGE + " inodes, got " + inos.length);
        }
        long[] ids = new long[inos.length];
        for (int i = 0; i < inos.length; i++) {
            ids[i] = Wire.positiveLong(Wire.toStr(inos[i], "ino"), "ino");
        }
        int deleted = 0;
        for (long ino : ids) {
            deleted += store.deleteInode(ino);
        }
        return deleted;
    }

    @Override
    public Object[] list(Map<String, Object> after, int limit) {
        if (limit < 1 || limit > Limits.MAX_PAGE) {
            throw FsException.invalid("limit must be 1.." + Limits.MAX_PAGE);
        }
        long ino = after.isEmpty() ? 0 : Wire.positiveLong(Wire.member(after, "ino"), "ino");
        int index = after.isEmpty() ? -1 : Wire.nonNegativeInt(Wire.member(after, "index"), "index");
        long version = after.isEmpty() ? 0 : Wire.nonNegativeLong(Wire.member(after, "version"), "version");
        return store.list(ino, index, version, limit).stream().map(ReplicaInfo::toWire).toArray();
    }

    @Override
    public Map<String, Object> usage() {
        long[] u = store.usage();
        long[] c = store.capacity();
        return new StoreSpace(c[0], c[1], u[0], u[1]).toWire();
    }

    @Override
    public Map<String, Object> ping() {
        long[] c = store.capacity();
        return StoreSpace.ofDisk(c[0], c[1]).diskToWire();
    }
}
