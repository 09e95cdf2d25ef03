package org.quorumfs.metaserver;

import org.quorumfs.common.protocol.AttributeChanges;
import org.quorumfs.common.protocol.BlockCommit;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.DirEntry;
import org.quorumfs.common.protocol.ListedEntry;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FileType;
import org.quorumfs.common.protocol.FsCounts;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.FileBlock;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.MissedReplica;
import org.quorumfs.common.protocol.SessionGrant;
import org.quorumfs.common.protocol.Wire;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** The wire face of {@link MetaStore}: validates every argument, then converts. */
final class MetaServiceImpl implements MetaService {
    private static final java.util.regex.Pattern SESSION_ID = java.util.regex.Pattern.compile("[A-Za-z0-9-]{1,64}");

    private final MetaStore store;
    private final Sessions sessions;
    private final Leases leases = new Leases();

    MetaServiceImpl(MetaStore store, Sessions sessions) {
        this.store = store;
        this.sessions = sessions;
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
        return store.create(ino(parent, "parent"), Wire.name(name), FileType.REGULAR, mode, uid, gid, null, 0, "")
                .toWire();
    }

    @Override
    public Map<String, Object> createAndOpen(String session, String parent, String name, int mode, int uid, int gid) {
        String s = liveSession(session);
        return store.create(ino(parent, "parent"), Wire.name(name), FileType.REGULAR, mode, uid, gid, null, 0, s)
                .toWire();
    }

    @Override
    public Map<String, Object> mknod(String parent, String name, int mode, int uid, int gid, String rdev) {
        FileType type = (mode & FileType.TYPE_MASK) == 0 ? FileType.REGULAR : FileType.of(mode);
        if (!type.madeByMknod()) {
            throw FsException.invalid("mknod makes regular and special files, not " + type);
        }
        long device = type.isDevice() ? Wire.nonNegativeLong(rdev, "rdev") : 0;
        return store.create(ino(parent, "parent"), Wire.name(name), type, mode, uid, gid, null, device, "").toWire();
    }

    @Override
    public Map<String, Object> mkdir(String parent, String name, int mode, int uid, int gid) {
        return store.create(ino(parent, "parent"), Wire.name(name), FileType.DIRECTORY, mode, uid, gid, null, 0, "")
                .toWire();
    }

    @Override
    public Map<String, Object> symlink(String parent, String name, String target, int uid, int gid) {
        if (target.isEmpty() || target.indexOf('\0') >= 0) {
            throw FsException.invalid("symlink target must be non-empty and free of NUL");
        }
        if (target.getBytes(StandardCharsets.UTF_8).length > Limits.MAX_SYMLINK_BYTES) {
            throw new FsException(ErrorCode.NAME_TOO_LONG, "symlink target longer than " + Limits.MAX_SYMLINK_BYTES);
        }
        return store.create(ino(parent, "parent"), Wire.name(name), FileType.SYMLINK, 0777, uid, gid, target, 0, "")
                .toWire();
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
    public Map<String, Object> unlink(String parent, String name) {
        return store.unlink(ino(parent, "parent"), Wire.name(name)).toWire();
    }

    @Override
    public Map<String, Object> rmdir(String parent, String name) {
        return store.rmdir(ino(parent, "parent"), Wire.name(name)).toWire();
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
    public Object[] readdirPlus(String ino, String after, int limit) {
        if (limit < 1 || limit > Limits.MAX_PAGE) {
            throw FsException.invalid("limit must be 1.." + Limits.MAX_PAGE + ", got " + limit);
        }
        return store.readdirPlus(ino(ino, "ino"), after, limit).stream().map(ListedEntry::toWire).toArray();
    }

    @Override
    public Map<String, Object> statfs() {
        long[] counts = store.statfs();
        return new FsCounts((int) Math.min(Integer.MAX_VALUE, counts[0]), counts[1], counts[2], counts[3], counts[4]).toWire();
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
        return store.truncate(ino(ino, "ino"), Wire.nonNegativeLong(size, "size"), t).toWire();
    }

    @Override
    public Object[] missedReplicas(int limit) {
        if (limit < 1 || limit > Limits.MAX_PAGE) {
            throw FsException.invalid("limit must be 1.." + Limits.MAX_PAGE);
        }
        return store.missed(limit).stream().map(MissedReplica::toWire).toArray();
    }

    @Override
    public boolean clearMissed(String ino, int index, String server, String version) {
        return store.clearMissed(ino(ino, "ino"), Wire.nonNegativeInt(index, "index"), Wire.server(server),
                Wire.positiveLong(version, "version"));
    }

    @Override
    public Object[] blocksAfter(String afterIno, int afterIndex, int limit) {
        if (limit < 1 || limit > Limits.MAX_PAGE) {
            throw FsException.invalid("limit must be 1.." + Limits.MAX_PAGE);
        }
        if (afterIndex < -1) {
            throw FsException.invalid("afterIndex must be -1 or more");
        }
        return store.blocksAfter(Wire.nonNegativeLong(afterIno, "afterIno"), afterIndex, limit).stream()
                .map(FileBlock::toWire).toArray();
    }

    @Override
    public boolean lease(String name, String holder, int ttlMillis) {
        if (ttlMillis < 100 || ttlMillis > 600_000) {
            throw FsException.invalid("ttlMillis must be 100..600000");
        }
        return leases.hold(token(name, "lease name"), token(holder, "holder"), ttlMillis);
    }

    @Override
    public String state(String key) {
        return store.state(token(key, "key"));
    }

    @Override
    public boolean setState(String key, String value) {
        if (value.length() > 4096) {
            throw FsException.invalid("a state value is at most 4096 characters");
        }
        store.setState(token(key, "key"), value);
        return true;
    }

    private static String token(String value, String field) {
        if (value == null || !value.matches("[A-Za-z0-9._-]{1,64}")) {
            throw FsException.invalid(field + " must be 1-64 letters, digits, dots, dashes or underscores");
        }
        return value;
    }

    @Override
    public boolean setxattr(String ino, String name, byte[] value, int flags) {
        if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0 || flags == (XATTR_CREATE | XATTR_REPLACE)) {
            throw FsException.invalid("xattr flags must be 0, XATTR_CREATE or XATTR_REPLACE, got " + flags);
        }
        if (value.length > Limits.MAX_XATTR_VALUE_BYTES) {
            throw new FsException(ErrorCode.TOO_LARGE, "extended attribute value longer than "
                    + Limits.MAX_XATTR_VALUE_BYTES + " bytes");
        }
        store.setxattr(ino(ino, "ino"), xattrName(name), value, flags);
        return true;
    }

    @Override
    public byte[] getxattr(String ino, String name) {
        return store.getxattr(ino(ino, "ino"), xattrName(name));
    }

    @Override
    public Object[] listxattr(String ino) {
        return store.listxattr(ino(ino, "ino")).toArray();
    }

    @Override
    public boolean removexattr(String ino, String name) {
        store.removexattr(ino(ino, "ino"), xattrName(name));
        return true;
    }

    /** A user.* name, as Linux allows it there: a non-empty suffix, at most XATTR_NAME_MAX bytes, no NUL. */
    private static String xattrName(String name) {
        if (name.getBytes(StandardCharsets.UTF_8).length > Limits.MAX_XATTR_NAME_BYTES) {
            throw new FsException(ErrorCode.NAME_TOO_LONG, "extended attribute name longer than "
                    + Limits.MAX_XATTR_NAME_BYTES + " bytes");
        }
        if (!name.startsWith("user.")) {
            throw new FsException(ErrorCode.NOT_SUPPORTED, "only user.* extended attributes are stored: " + name);
        }
        if (name.length() == "user.".length() || name.indexOf('\0') >= 0) {
            throw FsException.invalid("bad extended attribute name");
        }
        return name;
    }

    @Override
    public Map<String, Object> openSession() {
        return new SessionGrant(sessions.open(), Duration.ofMillis(sessions.leaseMillis())).toWire();
    }

    @Override
    public boolean renewSession(String session) {
        return sessions.renew(sessionId(session));
    }

    @Override
    public Object[] closeSession(String session) {
        return sessions.close(sessionId(session)).stream().map(Wire::ofLong).toArray();
    }

    @Override
    public Map<String, Object> open(String session, String ino, int blockCount) {
        if (blockCount < 0 || blockCount > Limits.MAX_PAGE) {
            throw FsException.invalid("blockCount must be 0.." + Limits.MAX_PAGE + ", got " + blockCount);
        }
        return store.open(liveSession(session), ino(ino, "ino"), blockCount).toWire();
    }

    @Override
    public String close(String session, String ino) {
        return Wire.ofLong(store.close(sessionId(session), ino(ino, "ino")));
    }

    @Override
    public Object[] closeEach(String session, Object[] inos) {
        if (inos.length < 1 || inos.length > Limits.MAX_PAGE) {
            throw FsException.invalid("closeEach takes 1.." + Limits.MAX_PAGE + " inodes, got " + inos.length);
        }
        java.util.List<Long> ids = new java.util.ArrayList<>(inos.length);
        for (Object o : inos) {
            ids.add(ino(Wire.toStr(o, "ino"), "ino"));
        }
        return store.closeEach(sessionId(session), ids).stream().map(Wire::ofLong).toArray();
    }

    @Override
    public Object[] garbage(int limit) {
        if (limit < 1 || limit > Limits.MAX_PAGE) {
            throw FsException.invalid("limit must be 1.." + Limits.MAX_PAGE);
        }
        return store.garbage(limit).stream().map(Wire::ofLong).toArray();
    }

    @Override
    public boolean clearGarbage(String ino) {
        return store.clearGarbage(ino(ino, "ino"));
    }

    /** A session that holds something must be live: using one renews it. */
    private String liveSession(String session) {
        String s = sessionId(session);
        sessions.renew(s);
        return s;
    }

    private static String sessionId(String session) {
        if (session == null || !SESSION_ID.matcher(session).matches()) {
            throw FsException.invalid("a session id is 1-64 letters, digits and dashes");
        }
        return session;
    }

    private static long ino(String value, String field) {
        return Wire.positiveLong(value, field);
    }

}
