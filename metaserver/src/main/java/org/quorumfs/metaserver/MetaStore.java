package org.quorumfs.metaserver;

import org.quorumfs.common.protocol.Attributes;
import org.quorumfs.common.protocol.AttributeChanges;
import org.quorumfs.common.protocol.BlockCommit;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.DirEntry;
import org.quorumfs.common.protocol.ListedEntry;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FileType;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.FileBlock;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.MissedReplica;
import org.quorumfs.common.protocol.OpenedFile;
import org.quorumfs.common.protocol.Truncation;
import org.quorumfs.common.protocol.NewEntry;
import org.quorumfs.common.protocol.RemovedEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConnection;
import org.sqlite.core.DB;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The meta-server's durable state in one SQLite database: inodes, directory entries, committed
 * blocks, replicas that missed a write, counters, extended attributes, the sessions' holds on open
 * inodes and freed inodes whose replicas remain (garbage). Every public method is one transaction,
 * on stable storage before it returns (WAL mode; the fsyncs shared by the calls that commit
 * meanwhile, see {@link WalSync}), so a kill -9 or a power cut loses nothing acknowledged; holds
 * alone skip the wait (see {@link #tx(Work, boolean)}). Transactions are serialized: SQLite has one
 * writer anyway, and it makes every namespace operation atomic with respect to every other; the
 * wait for the disk is outside, so nobody waits for another call's flush to begin its own.
 */
final class MetaStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetaStore.class);
    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS inodes(ino INTEGER PRIMARY KEY AUTOINCREMENT, mode INTEGER NOT NULL,
              nlink INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL, size INTEGER NOT NULL,
              atime INTEGER NOT NULL, mtime INTEGER NOT NULL, ctime INTEGER NOT NULL, target TEXT);
            CREATE TABLE IF NOT EXISTS dentries(parent INTEGER NOT NULL, name TEXT NOT NULL, ino INTEGER NOT NULL,
              PRIMARY KEY(parent, name)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS dentries_by_ino ON dentries(ino);
            CREATE TABLE IF NOT EXISTS blocks(ino INTEGER NOT NULL, idx INTEGER NOT NULL, version INTEGER NOT NULL,
              length INTEGER NOT NULL, md5 TEXT NOT NULL, pieces TEXT NOT NULL DEFAULT '',
              PRIMARY KEY(ino, idx)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS missed(ino INTEGER NOT NULL, idx INTEGER NOT NULL, server TEXT NOT NULL,
              PRIMARY KEY(ino, idx, server)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS holds(session TEXT NOT NULL, ino INTEGER NOT NULL, count INTEGER NOT NULL,
              PRIMARY KEY(session, ino)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS holds_by_ino ON holds(ino);
            CREATE TABLE IF NOT EXISTS garbage(ino INTEGER PRIMARY KEY);
            CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS xattrs(ino INTEGER NOT NULL, name TEXT NOT NULL, value BLOB NOT NULL,
              PRIMARY KEY(ino, name)) WITHOUT ROWID;
            """;

    private final Connection db;
    private final int blockSize;
    /** Serializes the store's transactions; a call's wait for the disk comes after it lets go. */
    private final ReentrantLock lock = new ReentrantLock();
    private final WalSync wal;
    private final DB sqlite;

    /** Opens (creating if new) the store in {@code dir}; a new store takes {@code blockSize}. */
    MetaStore(Path dir, int blockSize) throws SQLException {
        db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("meta.db"));
        sqlite = db.unwrap(SQLiteConnection.class).getDatabase();
        wal = new WalSync(dir.resolve("meta.db-wal"));
        try (Statement s = db.createStatement()) {
            // One connection in one process: holding the lock keeps the WAL index in this heap and
            // spares every transaction its file-lock calls (17 fcntl per file created), and a second
            // meta-server started on the same directory fails at once instead of sharing the store.
            s.execute("PRAGMA locking_mode=EXCLUSIVE");
            s.execute("PRAGMA busy_timeout=0");
            s.execute("PRAGMA journal_mode=WAL");
            // Commits reach the WAL file without an fsync; WalSync makes them durable in groups
            // before any call that wrote or read them is answered.
            s.execute("PRAGMA synchronous=NORMAL");
            s.executeUpdate(SCHEMA);
            addColumn(s, "blocks", "pieces", "TEXT NOT NULL DEFAULT ''");
            addColumn(s, "inodes", "rdev", "INTEGER NOT NULL DEFAULT 0");
        }
        db.setAutoCommit(false);
        this.blockSize = tx(() -> {
            if (attributesOrNull(MetaService.ROOT) == null) {
                long now = now();
                update("INSERT INTO inodes(ino, mode, nlink, uid, gid, size, atime, mtime, ctime) VALUES(?,?,?,?,?,?,?,?,?)",
                        MetaService.ROOT, FileType.DIRECTORY.mode(0755), 2, 0, 0, 0, now, now, now);
                update("INSERT INTO settings VALUES('block_size', ?)", blockSize);
                update("INSERT INTO settings VALUES('next_version', 1)");
            }
            return (int) setting("block_size");
        });
        if (this.blockSize != blockSize) {
            log.warn("store was created with block size {}; keeping it (asked for {})", this.blockSize, blockSize);
        }
    }

    int blockSize() {
        return blockSize;
    }

    /**
     * A store made before a column existed gets it with its default: blocks without piece
     * checksums keep '' (read whole), inodes without a device number 0.
     */
    private static void addColumn(Statement s, String table, String column, String definition) throws SQLException {
        try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM pragma_table_info('" + table + "') WHERE name='"
                + column + "'")) {
            r.next();
            if (r.getInt(1) == 0) {
                s.executeUpdate("ALTER TABLE " + table + " ADD COLUMN " + column + " " + definition);
            }
        }
    }

    Attributes getattr(long ino) {
        return tx(() -> attributes(ino));
    }

    Attributes lookup(long parent, String name) {
        return tx(() -> attributes(child(directory(parent), name)));
    }

    Attributes setattr(long ino, AttributeChanges c) {
        return tx(() -> {
            Attributes a = attributes(ino);
            int mode = c.mode().isPresent()
                    ? (a.mode() & FileType.TYPE_MASK) | (c.mode().getAsInt() & FileType.PERMISSION_MASK) : a.mode();
            update("UPDATE inodes SET mode=?, uid=?, gid=?, atime=?, mtime=?, ctime=? WHERE ino=?", mode,
                    c.uid().orElse(a.uid()), c.gid().orElse(a.gid()), c.atimeNs().orElse(a.atimeNs()),
                    c.mtimeNs().orElse(a.mtimeNs()), now(), ino);
            return attributes(ino);
        });
    }

    /**
     * Creates an inode of {@code type} named {@code name} in {@code parent}; {@code target} is a
     * symlink's, {@code rdev} a device's; a non-empty {@code session} holds the new inode open.
     */
    NewEntry create(long parent, String name, FileType type, int permissions, int uid, int gid,
                    String target, long rdev, String session) {
        return tx(() -> {
            directory(parent);
            if (childOrZero(parent, name) != 0) {
                throw new FsException(ErrorCode.EXISTS, "'" + name + "' exists");
            }
            long now = now();
            boolean dir = type == FileType.DIRECTORY;
            long size = target == null ? 0 : target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            long ino;
            try (PreparedStatement s = db.prepareStatement(
                    "INSERT INTO inodes(mode, nlink, uid, gid, size, atime, mtime, ctime, target, rdev)"
                            + " VALUES(?,?,?,?,?,?,?,?,?,?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                bind(s, type.mode(permissions), dir ? 2 : 1, uid, gid, size, now, now, now, target, rdev);
                s.executeUpdate();
                try (ResultSet keys = s.getGeneratedKeys()) {
                    keys.next();
                    ino = keys.getLong(1);
                }
            }
            update("INSERT INTO dentries VALUES(?,?,?)", parent, name, ino);
            update("UPDATE inodes SET nlink=nlink+?, mtime=?, ctime=? WHERE ino=?", dir ? 1 : 0, now, now, parent);
            if (!session.isEmpty()) {
                hold(session, ino);
            }
            return new NewEntry(attributes(ino), attributes(parent));
        });
    }

    String readlink(long ino) {
        return tx(() -> {
            String target = queryString("SELECT target FROM inodes WHERE ino=?", ino);
            if (target == null) {
                attributes(ino); // STALE if absent
                throw FsException.invalid("inode " + ino + " is not a symlink");
            }
            return target;
        });
    }

    NewEntry link(long ino, long newParent, String newName) {
        return tx(() -> {
            if (attributes(ino).isDirectory()) {
                throw new FsException(ErrorCode.NOT_PERMITTED, "hard links to directories are not allowed");
            }
            directory(newParent);
            if (childOrZero(newParent, newName) != 0) {
                throw new FsException(ErrorCode.EXISTS, "'" + newName + "' exists");
            }
            long now = now();
            update("INSERT INTO dentries VALUES(?,?,?)", newParent, newName, ino);
            update("UPDATE inodes SET nlink=nlink+1, ctime=? WHERE ino=?", now, ino);
            update("UPDATE inodes SET mtime=?, ctime=? WHERE ino=?", now, now, newParent);
            return new NewEntry(attributes(ino), attributes(newParent));
        });
    }

    RemovedEntry unlink(long parent, String name) {
        return tx(() -> {
            long ino = child(directory(parent), name);
            if (attributes(ino).isDirectory()) {
                throw new FsException(ErrorCode.IS_DIRECTORY, "'" + name + "' is a directory");
            }
            update("DELETE FROM dentries WHERE parent=? AND name=?", parent, name);
            touchDir(parent);
            long freed = dropLink(ino);
            return new RemovedEntry(ino, freed, attributes(parent));
        });
    }

    RemovedEntry rmdir(long parent, String name) {
        return tx(() -> {
            long ino = child(directory(parent), name);
            removeEmptyDirectory(parent, name, ino);
            return new RemovedEntry(ino, 0, attributes(parent));
        });
    }

    /** Returns the inode of a replaced file whose last link went, or 0. */
    long rename(long srcParent, String srcName, long dstParent, String dstName) {
        return tx(() -> {
            long ino = child(directory(srcParent), srcName);
            directory(dstParent);
            boolean isDir = attributes(ino).isDirectory();
            long existing = childOrZero(dstParent, dstName);
            if (existing == ino) {
                return 0L; // same inode (or same entry): POSIX says do nothing
            }
            if (isDir && srcParent != dstParent) {
                for (long p = dstParent; p != MetaService.ROOT; p = parentOf(p)) {
                    if (p == ino) {
                        throw new FsException(ErrorCode.INVALID_MOVE, "cannot move a directory into itself");
                    }
                }
            }
            long freed = 0;
            if (existing != 0) {
                boolean existingIsDir = attributes(existing).isDirectory();
                if (isDir && !existingIsDir) {
                    throw new FsException(ErrorCode.NOT_DIRECTORY, "'" + dstName + "' is not a directory");
                }
                if (!isDir && existingIsDir) {
                    throw new FsException(ErrorCode.IS_DIRECTORY, "'" + dstName + "' is a directory");
                }
                if (existingIsDir) {
                    removeEmptyDirectory(dstParent, dstName, existing);
                } else {
                    update("DELETE FROM dentries WHERE parent=? AND name=?", dstParent, dstName);
                    freed = dropLink(existing);
                }
            }
            update("DELETE FROM dentries WHERE parent=? AND name=?", srcParent, srcName);
            update("INSERT INTO dentries VALUES(?,?,?)", dstParent, dstName, ino);
            if (isDir && srcParent != dstParent) {
                update("UPDATE inodes SET nlink=nlink-1 WHERE ino=?", srcParent);
                update("UPDATE inodes SET nlink=nlink+1 WHERE ino=?", dstParent);
            }
            touchDir(srcParent);
            touchDir(dstParent);
            update("UPDATE inodes SET ctime=? WHERE ino=?", now(), ino);
            return freed;
        });
    }

    List<DirEntry> readdir(long ino, String after, int limit) {
        return readdirPlus(ino, after, limit).stream()
                .map(e -> new DirEntry(e.name(), e.attributes().ino(), e.attributes().mode())).toList();
    }

    List<ListedEntry> readdirPlus(long ino, String after, int limit) {
        return tx(() -> {
            directory(ino);
            List<ListedEntry> out = new ArrayList<>();
            // A small regular file's one block comes along: a client can start reading it before its open returns.
            PreparedStatement s = prepared(
                "SELECT d.name, i.ino, i.mode, i.nlink, i.uid, i.gid, i.size, i.atime, i.mtime, i.ctime, i.rdev,"
                        + " b.version, b.length, b.md5, b.pieces"
                        + " FROM dentries d JOIN inodes i ON i.ino = d.ino"
                        + " LEFT JOIN blocks b ON b.ino = i.ino AND b.idx = 0 AND i.size BETWEEN 1 AND ?"
                        + " AND (i.mode & ?) = ?"
                        + " WHERE d.parent=? AND d.name > ? ORDER BY d.name LIMIT ?");
            bind(s, ListedEntry.SMALL_FILE_BYTES, FileType.TYPE_MASK, FileType.REGULAR.bits(), ino, after, limit);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    long version = r.getLong(12);
                    BlockRecord first = r.wasNull() ? null
                            : new BlockRecord(0, version, r.getInt(13), r.getString(14), r.getString(15));
                    out.add(new ListedEntry(r.getString(1), attributesAt(r, 2), first));
                }
            }
            return out;
        });
    }

    /** {files, bytes, blocks, missed, garbage}. */
    long[] statfs() {
        return tx(() -> {
            try (Statement s = db.createStatement();
                 ResultSet r = s.executeQuery("SELECT (SELECT COUNT(*) FROM inodes), (SELECT COALESCE(SUM(size),0) FROM inodes),"
                         + " (SELECT COUNT(*) FROM blocks), (SELECT COUNT(*) FROM missed), (SELECT COUNT(*) FROM garbage)")) {
                r.next();
                return new long[] {r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4), r.getLong(5)};
            }
        });
    }

    /** Committed blocks after (afterIno, afterIndex) in that order, at most {@code limit}. */
    List<FileBlock> blocksAfter(long afterIno, int afterIndex, int limit) {
        return tx(() -> {
            List<FileBlock> out = new ArrayList<>();
            PreparedStatement s = prepared(
                "SELECT b.ino, b.idx, b.version, b.length, b.md5, b.pieces,"
                        + " (SELECT group_concat(m.server, ' ') FROM missed m WHERE m.ino = b.ino AND m.idx = b.idx)"
                        + " FROM blocks b WHERE b.ino > ? OR (b.ino = ? AND b.idx > ?) ORDER BY b.ino, b.idx LIMIT ?");
            bind(s, afterIno, afterIno, afterIndex, limit);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    String missed = r.getString(7);
                    out.add(new FileBlock(r.getLong(1), new BlockStatus(new BlockRecord(r.getInt(2), r.getLong(3),
                            r.getInt(4), r.getString(5), r.getString(6)),
                            missed == null ? List.of() : List.of(missed.split(" ")))));
                }
            }
            return out;
        });
    }

    String state(String key) {
        return tx(() -> {
            String v = queryString("SELECT value FROM state WHERE key=?", key);
            return v == null ? "" : v;
        });
    }

    void setState(String key, String value) {
        tx(() -> update("INSERT OR REPLACE INTO state VALUES(?,?)", key, value));
    }

    List<BlockStatus> blocks(long ino, int from, int count) {
        return tx(() -> {
            regularFile(ino);
            return blockStatuses(ino, from, count);
        });
    }

    long allocateVersions(int count) {
        return tx(() -> {
            long first = setting("next_version");
            update("UPDATE settings SET value=? WHERE key='next_version'", first + count);
            return first;
        });
    }

    Attributes commitBlock(long ino, BlockCommit commit) {
        return tx(() -> {
            regularFile(ino);
            BlockRecord b = commit.block();
            checkBlock(b);
            long current = currentVersion(ino, b.index());
            if (current != commit.expectedVersion()) {
                throw new FsException(ErrorCode.VERSION_CONFLICT, "block " + b.index() + " of inode " + ino
                        + " is at version " + current + ", not " + commit.expectedVersion());
            }
            putBlock(ino, b, commit.missedServers());
            long now = now();
            update("UPDATE inodes SET size=MAX(size, ?), mtime=?, ctime=? WHERE ino=?",
                    (long) b.index() * blockSize + b.length(), now, now, ino);
            return attributes(ino);
        });
    }

    /** Sets the size; returns the new attributes and the blocks dropped (whose replicas are garbage). */
    Truncation truncate(long ino, long size, Optional<BlockCommit> tail) {
        return tx(() -> {
            regularFile(ino);
            if (size > Limits.MAX_FILE_SIZE) {
                throw new FsException(ErrorCode.FILE_TOO_LARGE, "size " + size + " exceeds the largest file");
            }
            int cut = (int) (size % blockSize);
            long straddling = size / blockSize;
            if (cut != 0) {
                Optional<BlockRecord> block = block(ino, straddling);
                if (block.isPresent() && block.get().length() > cut) {
                    BlockCommit t = tail.orElseThrow(() -> new FsException(ErrorCode.VERSION_CONFLICT,
                            "block " + straddling + " must be rewritten to cut it at " + cut));
                    if (t.block().index() != straddling || t.block().length() != cut) {
                        throw FsException.invalid("tail must be block " + straddling + " cut to " + cut + " bytes");
                    }
                    if (t.expectedVersion() != block.get().version()) {
                        throw new FsException(ErrorCode.VERSION_CONFLICT, "block " + straddling + " moved");
                    }
                    checkBlock(t.block());
                    putBlock(ino, t.block(), t.missedServers());
                }
            }
            long firstDropped = (size + blockSize - 1) / blockSize;
            List<BlockRecord> dropped = blockRecords("WHERE ino=? AND idx>=?", ino, firstDropped);
            update("DELETE FROM blocks WHERE ino=? AND idx>=?", ino, firstDropped);
            update("DELETE FROM missed WHERE ino=? AND idx>=?", ino, firstDropped);
            long now = now();
            update("UPDATE inodes SET size=?, mtime=?, ctime=? WHERE ino=?", size, now, now, ino);
            return new Truncation(attributes(ino), dropped);
        });
    }


    List<MissedReplica> missed(int limit) {
        return tx(() -> {
            List<MissedReplica> out = new ArrayList<>();
            PreparedStatement s = prepared("SELECT ino, idx, server FROM missed ORDER BY ino, idx LIMIT ?");
            bind(s, limit);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new MissedReplica(r.getLong(1), r.getInt(2), r.getString(3)));
                }
            }
            return out;
        });
    }

    boolean clearMissed(long ino, int index, String server, long version) {
        return tx(() -> update("DELETE FROM missed WHERE ino=? AND idx=? AND server=?"
                + " AND (SELECT version FROM blocks WHERE ino=? AND idx=?) = ?", ino, index, server, ino, index, version) > 0);
    }

    // ---- holds: inodes open in some session ----

    /** {@code session} opens {@code ino}: its attributes, and its blocks below {@code blockCount}. */
    OpenedFile open(String session, long ino, int blockCount) {
        return txWithoutFsync(() -> {
            Attributes a = attributes(ino);
            if (a.isDirectory()) {
                throw new FsException(ErrorCode.IS_DIRECTORY, "inode " + ino + " is a directory");
            }
            hold(session, ino);
            List<BlockStatus> blocks = a.type() == FileType.REGULAR && blockCount > 0
                    ? blockStatuses(ino, 0, blockCount) : List.of();
            return new OpenedFile(a, blocks);
        });
    }


    /** {@code session} closes {@code ino} once; returns {@code ino} if that freed it, else 0. */
    long close(String session, long ino) {
        return closeEach(session, List.of(ino)).isEmpty() ? 0L : ino;
    }

    /** {@link #close} of each of {@code inos} in one transaction; returns the inodes freed. */
    List<Long> closeEach(String session, List<Long> inos) {
        return txWithoutFsync(() -> {
            List<Long> freed = new ArrayList<>();
            for (long ino : inos) {
                update("UPDATE holds SET count=count-1 WHERE session=? AND ino=?", session, ino);
                update("DELETE FROM holds WHERE session=? AND ino=? AND count<=0", session, ino);
                if (freeIfUnused(ino)) {
                    freed.add(ino);
                }
            }
            return freed;
        });
    }

    /** The sessions that hold something (known again after a restart). */
    List<String> sessionsWithHolds() {
        return tx(() -> column("SELECT DISTINCT session FROM holds", r -> r.getString(1)));
    }

    /**
     * Drops every hold of {@code session} and frees what that leaves without name or hold; returns
     * the freed inodes. When {@code toGarbage}, they are also recorded as garbage (nobody is there
     * to delete their replicas).
     */
    List<Long> dropSession(String session, boolean toGarbage) {
        return tx(() -> {
            List<Long> held = column("SELECT ino FROM holds WHERE session=?", r -> r.getLong(1), session);
            update("DELETE FROM holds WHERE session=?", session);
            List<Long> freed = new ArrayList<>();
            for (long ino : held) {
                if (freeIfUnused(ino)) {
                    freed.add(ino);
                    if (toGarbage) {
                        update("INSERT OR IGNORE INTO garbage VALUES(?)", ino);
                    }
                }
            }
            return freed;
        });
    }

    List<Long> garbage(int limit) {
        return tx(() -> column("SELECT ino FROM garbage ORDER BY ino LIMIT ?", r -> r.getLong(1), limit));
    }

    boolean clearGarbage(long ino) {
        return tx(() -> update("DELETE FROM garbage WHERE ino=?", ino) > 0);
    }

    // ---- extended attributes ----

    void setxattr(long ino, String name, byte[] value, int flags) {
        tx(() -> {
            attributes(ino);
            byte[] old = xattrOrNull(ino, name);
            if (old != null && (flags & MetaService.XATTR_CREATE) != 0) {
                throw new FsException(ErrorCode.EXISTS, "extended attribute " + name + " exists");
            }
            if (old == null && (flags & MetaService.XATTR_REPLACE) != 0) {
                throw new FsException(ErrorCode.NO_DATA, "no extended attribute " + name);
            }
            long total;
            PreparedStatement s = prepared(
                "SELECT COALESCE(SUM(length(CAST(name AS BLOB)) + length(value)), 0) FROM xattrs WHERE ino=? AND name<>?");
            bind(s, ino, name);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                total = r.getLong(1);
            }
            if (total + name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + value.length
                    > Limits.MAX_XATTR_TOTAL_BYTES) {
                throw new FsException(ErrorCode.NO_SPACE, "extended attributes of inode " + ino + " would exceed "
                        + Limits.MAX_XATTR_TOTAL_BYTES + " bytes");
            }
            update("INSERT OR REPLACE INTO xattrs VALUES(?,?,?)", ino, name, value);
            update("UPDATE inodes SET ctime=? WHERE ino=?", now(), ino);
            return null;
        });
    }

    byte[] getxattr(long ino, String name) {
        return tx(() -> {
            attributes(ino);
            byte[] v = xattrOrNull(ino, name);
            if (v == null) {
                throw new FsException(ErrorCode.NO_DATA, "no extended attribute " + name);
            }
            return v;
        });
    }

    List<String> listxattr(long ino) {
        return tx(() -> {
            attributes(ino);
            return column("SELECT name FROM xattrs WHERE ino=? ORDER BY name", r -> r.getString(1), ino);
        });
    }

    void removexattr(long ino, String name) {
        tx(() -> {
            attributes(ino);
            if (update("DELETE FROM xattrs WHERE ino=? AND name=?", ino, name) == 0) {
                throw new FsException(ErrorCode.NO_DATA, "no extended attribute " + name);
            }
            update("UPDATE inodes SET ctime=? WHERE ino=?", now(), ino);
            return null;
        });
    }

    private byte[] xattrOrNull(long ino, String name) throws SQLException {
        PreparedStatement s = prepared("SELECT value FROM xattrs WHERE ino=? AND name=?");
        bind(s, ino, name);
        try (ResultSet r = s.executeQuery()) {
            return r.next() ? r.getBytes(1) : null;
        }
    }

    @Override
    public void close() throws SQLException {
        lock.lock();
        try {
            for (PreparedStatement s : prepared.values()) {
                s.close();
            }
            db.close();
            wal.close();
        } catch (java.io.IOException e) {
            log.warn("closing the write-ahead log: {}", e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Statements prepared once per SQL text and reused (sqlite-jdbc prepares anew on every call: 4
     * of a point query's 6 us). Every SQL text here is a constant of this class, so the map stays
     * small; callers hold the lock, close their result sets, and never close the statement.
     */
    private final java.util.Map<String, PreparedStatement> prepared = new java.util.HashMap<>();

    private PreparedStatement prepared(String sql) throws SQLException {
        PreparedStatement s = prepared.get(sql);
        if (s == null) {
            s = db.prepareStatement(sql);
            prepared.put(sql, s);
        } else {
            s.clearParameters();
        }
        return s;
    }

    // ---- helpers; callers hold the lock and run inside tx() ----

    private interface Work<T> {
        T run() throws SQLException;
    }

    /** One transaction, answered once what it wrote (or saw others write) is on stable storage. */
    private <T> T tx(Work<T> work) {
        return tx(work, true);
    }

    /**
     * One transaction under the store's lock. {@code durable}: returns only once everything
     * committed up to its end is on stable storage, this transaction's writes and those it may
     * have read, so no answer depends on what a power cut could still take back. Otherwise (holds,
     * which an open and a close of every file write) it survives a kill -9 of the meta-server, is
     * made durable by the next call that writes (an fsync covers the whole log), and a power cut
     * before that costs at most an unlinked-but-open file freed early.
     */
    private <T> T tx(Work<T> work, boolean durable) {
        T result;
        long mustBeOnDisk;
        lock.lock();
        try {
            long changesBefore = sqlite.total_changes();
            result = work.run();
            db.commit();
            // A hold's commit is not counted: a later reader need not wait for it to reach the disk.
            boolean wrote = sqlite.total_changes() != changesBefore;
            mustBeOnDisk = durable && wrote ? wal.committed() : wal.lastCommitted();
        } catch (SQLException e) {
            rollback();
            if (e.getMessage() != null && e.getMessage().contains("SQLITE_FULL")) {
                throw new FsException(ErrorCode.NO_SPACE, "meta-server disk full");
            }
            log.error("meta-server store failed", e);
            throw new FsException(ErrorCode.IO, "meta-server store failed: " + e.getMessage());
        } catch (RuntimeException e) {
            rollback();
            throw e;
        } finally {
            lock.unlock();
        }
        if (durable) {
            wal.await(mustBeOnDisk);
        }
        return result;
    }

    private <T> T txWithoutFsync(Work<T> work) {
        return tx(work, false);
    }

    private void rollback() {
        try {
            db.rollback();
        } catch (SQLException e) {
            log.error("rollback failed", e);
        }
    }

    private List<BlockStatus> blockStatuses(long ino, int from, int count) throws SQLException {
        List<BlockStatus> out = new ArrayList<>();
        PreparedStatement s = prepared(
            "SELECT b.idx, b.version, b.length, b.md5, b.pieces, group_concat(m.server, ' ') FROM blocks b"
                    + " LEFT JOIN missed m ON m.ino = b.ino AND m.idx = b.idx"
                    + " WHERE b.ino=? AND b.idx>=? AND b.idx<? GROUP BY b.idx ORDER BY b.idx");
        bind(s, ino, from, (long) from + count);
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                String missed = r.getString(6);
                out.add(new BlockStatus(new BlockRecord(r.getInt(1), r.getLong(2), r.getInt(3), r.getString(4),
                        r.getString(5)),
                        missed == null ? List.of() : List.of(missed.split(" "))));
            }
        }
        return out;
    }

    private void checkBlock(BlockRecord b) throws SQLException {
        if (b.length() > blockSize) {
            throw FsException.invalid("block length " + b.length() + " exceeds the block size " + blockSize);
        }
        if ((long) b.index() * blockSize + b.length() > Limits.MAX_FILE_SIZE) {
            throw new FsException(ErrorCode.FILE_TOO_LARGE, "block " + b.index() + " lies past the largest file");
        }
        if (b.version() >= setting("next_version")) {
            throw FsException.invalid("version " + b.version() + " was never allocated");
        }
    }

    private void putBlock(long ino, BlockRecord b, List<String> missedServers) throws SQLException {
        update("INSERT OR REPLACE INTO blocks VALUES(?,?,?,?,?,?)", ino, b.index(), b.version(), b.length(), b.md5(),
                b.pieces());
        // Servers that missed an older version but stored this one are good again: the set is replaced.
        update("DELETE FROM missed WHERE ino=? AND idx=?", ino, b.index());
        for (String server : missedServers) {
            update("INSERT OR IGNORE INTO missed VALUES(?,?,?)", ino, b.index(), server);
        }
    }

    private long currentVersion(long ino, long index) throws SQLException {
        return block(ino, index).map(BlockRecord::version).orElse(0L);
    }

    private Optional<BlockRecord> block(long ino, long index) throws SQLException {
        return blockRecords("WHERE ino=? AND idx=?", ino, index).stream().findFirst();
    }

    private List<BlockRecord> blockRecords(String where, Object... args) throws SQLException {
        List<BlockRecord> out = new ArrayList<>();
        PreparedStatement s = prepared("SELECT idx, version, length, md5, pieces FROM blocks " + where);
        bind(s, args);
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(new BlockRecord(r.getInt(1), r.getLong(2), r.getInt(3), r.getString(4), r.getString(5)));
            }
        }
        return out;
    }

    private void removeEmptyDirectory(long parent, String name, long ino) throws SQLException {
        if (!attributes(ino).isDirectory()) {
            throw new FsException(ErrorCode.NOT_DIRECTORY, "'" + name + "' is not a directory");
        }
        if (queryString("SELECT name FROM dentries WHERE parent=? LIMIT 1", ino) != null) {
            throw new FsException(ErrorCode.NOT_EMPTY, "directory '" + name + "' is not empty");
        }
        update("DELETE FROM dentries WHERE parent=? AND name=?", parent, name);
        update("DELETE FROM inodes WHERE ino=?", ino);
        update("DELETE FROM xattrs WHERE ino=?", ino);
        update("UPDATE inodes SET nlink=nlink-1 WHERE ino=?", parent);
        touchDir(parent);
    }

    /**
     * Drops one link of a non-directory; when none remain and no session holds it open, deletes it
     * and returns its number, else 0.
     */
    private long dropLink(long ino) throws SQLException {
        update("UPDATE inodes SET nlink=nlink-1, ctime=? WHERE ino=?", now(), ino);
        return freeIfUnused(ino) ? ino : 0;
    }

    /** Deletes an inode that has neither a name nor a hold; returns whether it did. */
    private boolean freeIfUnused(long ino) throws SQLException {
        Attributes a = attributesOrNull(ino);
        if (a == null || a.nlink() > 0 || a.isDirectory()
                || queryString("SELECT session FROM holds WHERE ino=? LIMIT 1", ino) != null) {
            return false;
        }
        update("DELETE FROM inodes WHERE ino=?", ino);
        update("DELETE FROM blocks WHERE ino=?", ino);
        update("DELETE FROM missed WHERE ino=?", ino);
        update("DELETE FROM xattrs WHERE ino=?", ino);
        return true;
    }

    private void hold(String session, long ino) throws SQLException {
        update("INSERT INTO holds VALUES(?,?,1) ON CONFLICT(session, ino) DO UPDATE SET count=count+1", session, ino);
    }

    private void touchDir(long dir) throws SQLException {
        long now = now();
        update("UPDATE inodes SET mtime=?, ctime=? WHERE ino=?", now, now, dir);
    }

    private long parentOf(long dir) throws SQLException {
        PreparedStatement s = prepared("SELECT parent FROM dentries WHERE ino=? LIMIT 1");
        bind(s, dir);
        try (ResultSet r = s.executeQuery()) {
            return r.next() ? r.getLong(1) : MetaService.ROOT;
        }
    }

    private long directory(long ino) throws SQLException {
        if (!attributes(ino).isDirectory()) {
            throw new FsException(ErrorCode.NOT_DIRECTORY, "inode " + ino + " is not a directory");
        }
        return ino;
    }

    private void regularFile(long ino) throws SQLException {
        Attributes a = attributes(ino);
        if (a.isDirectory()) {
            throw new FsException(ErrorCode.IS_DIRECTORY, "inode " + ino + " is a directory");
        }
        if (a.type() != FileType.REGULAR) {
            throw FsException.invalid("inode " + ino + " is not a regular file");
        }
    }

    private long child(long parent, String name) throws SQLException {
        long ino = childOrZero(parent, name);
        if (ino == 0) {
            throw FsException.notFound("'" + name + "'");
        }
        return ino;
    }

    private long childOrZero(long parent, String name) throws SQLException {
        PreparedStatement s = prepared("SELECT ino FROM dentries WHERE parent=? AND name=?");
        bind(s, parent, name);
        try (ResultSet r = s.executeQuery()) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    private Attributes attributes(long ino) throws SQLException {
        Attributes a = attributesOrNull(ino);
        if (a == null) {
            throw new FsException(ErrorCode.STALE, "inode " + ino + " does not exist");
        }
        return a;
    }

    private Attributes attributesOrNull(long ino) throws SQLException {
        PreparedStatement s = prepared(
            "SELECT ino, mode, nlink, uid, gid, size, atime, mtime, ctime, rdev FROM inodes WHERE ino=?");
        bind(s, ino);
        try (ResultSet r = s.executeQuery()) {
            if (!r.next()) {
                return null;
            }
            return attributesAt(r, 1);
        }
    }

    /** The attributes in columns ino, mode, nlink, uid, gid, size, atime, mtime, ctime, rdev from {@code first} on. */
    private static Attributes attributesAt(ResultSet r, int first) throws SQLException {
        return new Attributes(r.getLong(first), r.getInt(first + 1), r.getInt(first + 2), r.getInt(first + 3),
                r.getInt(first + 4), r.getLong(first + 5), r.getLong(first + 6), r.getLong(first + 7),
                r.getLong(first + 8), r.getLong(first + 9));
    }

    private long setting(String key) throws SQLException {
        PreparedStatement s = prepared("SELECT value FROM settings WHERE key=?");
        bind(s, key);
        try (ResultSet r = s.executeQuery()) {
            if (!r.next()) {
                throw new SQLException("setting " + key + " missing");
            }
            return r.getLong(1);
        }
    }

    private interface Row<T> {
        T read(ResultSet r) throws SQLException;
    }

    /** One value from every row a query returns. */
    private <T> List<T> column(String sql, Row<T> row, Object... args) throws SQLException {
        List<T> out = new ArrayList<>();
        PreparedStatement s = prepared(sql);
        bind(s, args);
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(row.read(r));
            }
        }
        return out;
    }

    private String queryString(String sql, Object... args) throws SQLException {
        PreparedStatement s = prepared(sql);
        bind(s, args);
        try (ResultSet r = s.executeQuery()) {
            return r.next() ? r.getString(1) : null;
        }
    }

    private int update(String sql, Object... args) throws SQLException {
        PreparedStatement s = prepared(sql);
        bind(s, args);
        return s.executeUpdate();
    }

    private static void bind(PreparedStatement s, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            s.setObject(i + 1, args[i]);
        }
    }

    private static long now() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
