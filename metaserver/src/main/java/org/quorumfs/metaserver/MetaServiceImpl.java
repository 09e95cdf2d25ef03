package org.quorumfs.metaserver;

import org.quorumfs.common.protocol.AttributeChanges;
import org.quorumfs.common.protocol.BlockCommit;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.DirEntry;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FileType;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.Wire;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/** The wire face of {@link MetaStore}: validates every argument, then converts. */
final class MetaServiceImpl implements MetaService {
    private final MetaStore store;

    MetaServiceImpl(MetaStore store) {
        this.store = store;
    }

    @Override
    public Map<String, Object> info() {
        return Map.of("blockSize", store.blockSize());
    }

    @Override
    public Map<String, Object> lookup(String parent, String name) {
        return store.lookup(ino(parent, "parent"), Wire.name(name)).toWire();
    }

    @Override
    public Map<String, Object> getattr(String ino) {
        return store.getattr(ino(ino, "ino")).toWire();
    }

    @Override
    public Map<String, Object> setattr(String ino, Map<String, Object> changes) {
        return store.setattr(ino(ino, "ino"), AttributeChanges.fromWire(changes)).toWire();
    }

    @Override
    public Map<String, Object> create(String parent, String name, int mode, int uid, int gid) {
        return store.create(ino(parent, "parent"), Wire.name(name), FileType.REGULAR, mode, uid, gid, null).toWire();
    }

    @Override
    public Map<String, Object> mkdir(String parent, String name, int mode, int uid, int gid) {
        return store.create(ino(parent, "parent"), Wire.name(name), FileType.DIRECTORY, mode, uid, gid, null).toWire();
    }

    @Override
    public Map<String, Object> symlink(String parent, String name, String target, int uid, int gid) {
        if (target.isEmpty() || target.indexOf('\0') >= 0) {
            throw FsException.invalid("symlink target must be non-empty and free of NUL");
        }
        if (target.getBytes(StandardCharsets.UTF_8).length > Limits.MAX_SYMLINK_BYTES) {
            throw new FsException(ErrorCode.NAME_TOO_LONG, "symlink target longer than " + Limits.MAX_SYMLINK_BYTES);
        }
        return store.create(ino(parent, "parent"), Wire.name(name), FileType.SYMLINK, 0777, uid, gid, target).toWire();
    }

    @Override
    public String readlink(String ino) {
        return store.readlink(ino(ino, "ino"));
    }

    @Override
    public Map<String, Object> link(String ino, String newParent, String newName) {
        return store.link(ino(ino, "ino"), ino(newParent, "newParent"), Wire.name(newName)).toWire();
    }

    @Override
    public String unlink(String parent, String name) {
        return Wire.ofLong(store.unlink(ino(parent, "parent"), Wire.name(name)));
    }

    @Override
    public boolean rmdir(String parent, String name) {
        store.rmdir(ino(parent, "parent"), Wire.name(name));
        return true;
    }

    @Override
    public String rename(String srcParent, String srcName, String dstParent, String dstName) {
        return Wire.ofLong(store.rename(ino(srcParent, "srcParent"), Wire.name(srcName),
                ino(dstParent, "dstParent"), Wire.name(dstName)));
    }

    @Override
    public Object[] readdir(String ino, String after, int limit) {
        if (limit < 1 || limit > Limits.MAX_PAGE) {
            throw FsException.invalid("limit must be 1.." + Limits.MAX_PAGE + ", got " + limit);
        }
        return store.readdir(ino(ino, "ino"), after, limit).stream().map(DirEntry::toWire).toArray();
    }

    @Override
    public Map<String, Object> statfs() {
        long[] counts = store.statfs();
        return Map.of("files", (int) Math.min(Integer.MAX_VALUE, counts[0]), "bytes", Wire.ofLong(counts[1]));
    }

    @Override
    public Object[] blocks(String ino, int from, int count) {
        if (from < 0 || count < 1 || count > Limits.MAX_PAGE) {
            throw FsException.invalid("blocks range must have from >= 0 and count 1.." + Limits.MAX_PAGE);
        }
        return store.blocks(ino(ino, "ino"), from, count).stream().map(BlockStatus::toWire).toArray();
    }

    @Override
    public String allocateVersions(int count) {
        if (count < 1 || count > 10_000) {
            throw FsException.invalid("count must be 1..10000, got " + count);
        }
        return Wire.ofLong(store.allocateVersions(count));
    }

    @Override
    public Map<String, Object> commitBlock(String ino, Map<String, Object> commit) {
        return store.commitBlock(ino(ino, "ino"), BlockCommit.fromWire(commit)).toWire();
    }

    @Override
    public Map<String, Object> truncate(String ino, String size, Map<String, Object> tail) {
        Optional<BlockCommit> t = tail.isEmpty() ? Optional.empty() : Optional.of(BlockCommit.fromWire(tail));
        MetaStore.TruncateResult r = store.truncate(ino(ino, "ino"), Wire.nonNegativeLong(size, "size"), t);
        return Map.of("attributes", r.attributes().toWire(),
                "dropped", r.dropped().stream().map(BlockRecord::toWire).toArray());
    }

    @Override
    public Object[] missedReplicas(int limit) {
        if (limit < 1 || limit > Limits.MAX_PAGE) {
            throw FsException.invalid("limit must be 1.." + Limits.MAX_PAGE);
        }
        return store.missed(limit).stream()
                .map(m -> Map.of("ino", Wire.ofLong(m.ino()), "index", m.index(), "server", m.server()))
                .toArray();
    }

    @Override
    public boolean clearMissed(String ino, int index, String server) {
        return store.clearMissed(ino(ino, "ino"), Wire.nonNegativeInt(index, "index"), Wire.server(server));
    }

    private static long ino(String value, String field) {
        return Wire.positiveLong(value, field);
    }

}
