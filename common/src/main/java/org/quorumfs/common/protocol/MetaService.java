package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * The meta-server's RPC interface: the namespace and, for every block of every file, its committed
 * version, length and MD5. Only standard XML-RPC types cross: 64-bit numbers are decimal strings
 * ({@link Wire}), structs are the {@code toWire()} forms of the records in this package.
 *
 * <p>Every mutating call is one transaction, durable before it returns. Every call fails with an
 * {@link FsException} whose {@link ErrorCode} is the XML-RPC faultCode: {@code STALE} for an
 * inode number that does not exist, {@code NOT_FOUND} for a name not in its directory,
 * {@code INVALID_ARGUMENT} for malformed input, {@code NAME_TOO_LONG},
 * {@code NOT_DIRECTORY} when a parent is not a directory, plus the codes named per method.
 * The root directory is inode {@link #ROOT}.
 */
public interface MetaService {
    /** Inode number of the root directory. */
    long ROOT = 1;

    /** Cluster facts: {@code blockSize} (int, bytes) fixed when the store was created. */
    @SmallAnswer
    Map<String, Object> info();

    /** The attributes of {@code name} in directory {@code parent}. */
    @SmallAnswer
    Map<String, Object> lookup(String parent, String name);

    /** The attributes of inode {@code ino}. */
    @SmallAnswer
    Map<String, Object> getattr(String ino);

    /** Applies {@link AttributeChanges} (mode permission bits, owner, times); returns the new attributes. */
    @SmallAnswer
    Map<String, Object> setattr(String ino, Map<String, Object> changes);

    /**
     * Creates an empty regular file, exclusively ({@code EXISTS} if the name is taken). Returns a
     * {@link NewEntry}, as every call that makes an entry does (createAndOpen, mknod, mkdir, symlink):
     * the new inode's attributes, with the parent directory's after the change as member {@code parent}.
     */
    @SmallAnswer
    Map<String, Object> create(String parent, String name, int mode, int uid, int gid);

    /**
     * {@link #create}, and the new file is held open by {@code session} (as {@link #open}) in the
     * same transaction: no other mount's unlink can free it before its creator has it open.
     */
    @SmallAnswer
    Map<String, Object> createAndOpen(String session, String parent, String name, int mode, int uid, int gid);

    /**
     * Creates a regular or special file: {@code mode} carries the type bits (S_IFREG, S_IFIFO,
     * S_IFCHR, S_IFBLK, S_IFSOCK; 0 is regular) and {@code rdev} (decimal string) the device
     * number of a device. A special file has no blocks and never touches the data servers.
     */
    @SmallAnswer
    Map<String, Object> mknod(String parent, String name, int mode, int uid, int gid, String rdev);

    /** Creates a directory ({@code EXISTS} if the name is taken). */
    @SmallAnswer
    Map<String, Object> mkdir(String parent, String name, int mode, int uid, int gid);

    /** Creates a symlink to {@code target} (at most {@link Limits#MAX_SYMLINK_BYTES}). */
    @SmallAnswer
    Map<String, Object> symlink(String parent, String name, String target, int uid, int gid);

    /** The target of symlink {@code ino} ({@code INVALID_ARGUMENT} if it is not a symlink). */
    @SmallAnswer
    String readlink(String ino);

    /**
     * A new hard link to non-directory {@code ino} ({@code NOT_PERMITTED} for a directory);
     * returns a {@link NewEntry}: the inode's new attributes, with the new parent's as {@code parent}.
     */
    @SmallAnswer
    Map<String, Object> link(String ino, String newParent, String newName);

    /**
     * Removes a non-directory entry ({@code IS_DIRECTORY} for a directory). Returns a
     * {@link RemovedEntry}: {@code freed} is the inode whose last link this was and whose data may
     * now be deleted, or "0". An inode some session holds open loses its name but lives on (nlink 0)
     * until its last {@link #close}.
     */
    @SmallAnswer
    Map<String, Object> unlink(String parent, String name);

    /** Removes an empty directory ({@code NOT_EMPTY}, {@code NOT_DIRECTORY}); returns a {@link RemovedEntry}. */
    @SmallAnswer
    Map<String, Object> rmdir(String parent, String name);

    /**
     * Moves an entry, atomically replacing a destination of a compatible kind: a file replaces a
     * file, a directory an empty directory ({@code NOT_EMPTY}, {@code IS_DIRECTORY},
     * {@code NOT_DIRECTORY}); moving a directory into its own subtree is {@code INVALID_MOVE}.
     * Returns the inode number of a replaced file whose last link this was, or "0".
     */
    @SmallAnswer
    String rename(String srcParent, String srcName, String dstParent, String dstName);

    /**
     * One page of directory {@code ino}'s entries in name order, starting after name {@code after}
     * ("" for the first page), at most {@code limit} (up to {@link Limits#MAX_PAGE}) entries.
     * Returns an array of {@link DirEntry} structs; "." and ".." are not included.
     */
    Object[] readdir(String ino, String after, int limit);

    /**
     * {@link #readdir}, each entry with the full attributes of what it names: an array of
     * {@link ListedEntry} rows (arrays whose values go by position). A client lists and learns
     * every entry's attributes in one call instead of a lookup per name ({@code ls -l},
     * {@code find}, {@code git status}).
     */
    Object[] readdirPlus(String ino, String after, int limit);

    /**
     * Counts: {@code files} (int), {@code bytes} (decimal string, sum of file sizes), and for the
     * healer and status: {@code blocks} (committed blocks), {@code missed} (replicas recorded as
     * having missed a write), {@code garbage} (freed inodes whose replicas remain), all decimal strings.
     */
    @SmallAnswer
    Map<String, Object> statfs();

    /**
     * Committed blocks of file {@code ino} with index in [from, from+count), as {@link BlockStatus}
     * structs (the block and the servers that missed its current version), in index order.
     */
    Object[] blocks(String ino, int from, int count);

    /**
     * Reserves {@code count} (1..10000) block versions, unique across the cluster and forever;
     * returns the first of the range as a decimal string.
     */
    @SmallAnswer
    String allocateVersions(int count);

    /**
     * Makes a {@link BlockCommit} current: compare-and-set on the block's version
     * ({@code VERSION_CONFLICT} if it moved), grows the file size to cover the block, updates
     * mtime and ctime, and records the servers that missed the write. Returns the new attributes.
     */
    @SmallAnswer
    Map<String, Object> commitBlock(String ino, Map<String, Object> commit);

    /**
     * Sets the size of regular file {@code ino}: drops blocks wholly past it and, when a block
     * straddles the new end, commits {@code tail} (a {@link BlockCommit} of that block cut short;
     * an empty struct when none straddles). Returns {@code {attributes: struct, dropped: array of
     * BlockRecord structs}}: the dropped blocks' replicas are garbage on the data servers.
     */
    @SmallAnswer
    Map<String, Object> truncate(String ino, String size, Map<String, Object> tail);

    // ---- extended attributes: the user.* namespace, names at most Limits.MAX_XATTR_NAME_BYTES ----

    /**
     * Sets extended attribute {@code name} of {@code ino} to {@code value} (at most
     * {@link Limits#MAX_XATTR_VALUE_BYTES}). {@code flags}: 0 creates or replaces,
     * {@link #XATTR_CREATE} fails with {@code EXISTS} if it is set, {@link #XATTR_REPLACE} with
     * {@code NO_DATA} if it is not. A name outside user.* is {@code NOT_SUPPORTED}; more than
     * {@link Limits#MAX_XATTR_TOTAL_BYTES} of names and values on one inode is {@code NO_SPACE}.
     */
    @SmallAnswer
    boolean setxattr(String ino, String name, byte[] value, int flags);

    int XATTR_CREATE = 1;
    int XATTR_REPLACE = 2;

    /** The value of extended attribute {@code name} ({@code NO_DATA} if it is not set). */
    byte[] getxattr(String ino, String name);

    /** The names of {@code ino}'s extended attributes, in name order. */
    Object[] listxattr(String ino);

    /** Removes extended attribute {@code name} ({@code NO_DATA} if it is not set). */
    @SmallAnswer
    boolean removexattr(String ino, String name);

    // ---- sessions: which mounts hold which inodes open ----

    /**
     * Starts a mount's session. Returns {@code {session: string, leaseMillis: int}}: the session
     * lives while it is renewed within leaseMillis; when it lapses (the mount was killed, or hung
     * that long) its holds are dropped, and inodes unlinked while held are freed.
     */
    @SmallAnswer
    Map<String, Object> openSession();

    /**
     * Keeps a session alive. Returns false if the meta-server did not know it (it lapsed and its
     * holds were dropped): it is known again from now on, and the mount holds its open files again.
     */
    @SmallAnswer
    boolean renewSession(String session);

    /**
     * Ends a session, dropping all its holds. Returns the inode numbers (decimal strings) freed by
     * that: their replicas are garbage on the data servers.
     */
    Object[] closeSession(String session);

    /**
     * {@code session} opens inode {@code ino} (holds are counted: each open needs its close).
     * Returns {@code {attributes: struct, blocks: array}}: the inode's attributes, and for a regular
     * file its committed blocks with index below {@code blockCount} (0..{@link Limits#MAX_PAGE}) as
     * {@link #blocks} gives them, so a read right after the open needs no other call.
     */
    Map<String, Object> open(String session, String ino, int blockCount);

    /**
     * {@code session} closes inode {@code ino} once. Returns the inode number if that freed it (it
     * was unlinked, and this was its last hold anywhere), else "0".
     */
    @SmallAnswer
    String close(String session, String ino);

    /**
     * {@link #close} of each inode of {@code inos} (decimal strings, 1..{@link Limits#MAX_PAGE};
     * an inode twice is closed twice), in one transaction. Returns the inodes that freed. A mount
     * closes in batches: one call for the files a loop closed within a few milliseconds.
     */
    Object[] closeEach(String session, Object[] inos);

    /**
     * Inodes freed without a client to delete their replicas (their last holder's session lapsed):
     * at most {@code limit} decimal strings. Whoever deletes the replicas everywhere calls
     * {@link #clearGarbage}.
     */
    Object[] garbage(int limit);

    /** Forgets a garbage inode whose replicas are gone from every data server. */
    @SmallAnswer
    boolean clearGarbage(String ino);

    /** Replicas recorded as having missed a write: array of {ino, index, server} structs, at most {@code limit}. */
    Object[] missedReplicas(int limit);

    /**
     * Forgets that {@code server} missed block {@code index} of {@code ino}, healed with version
     * {@code version}: only while that is still the committed version (a heal of an older one must
     * not erase the record of a newer write the server also missed). Returns whether it did.
     */
    @SmallAnswer
    boolean clearMissed(String ino, int index, String server, String version);

    /**
     * One page of every committed block, in (ino, index) order after ({@code afterIno},
     * {@code afterIndex}) ("0", -1 for the first page), at most {@code limit}: an array of
     * {@code {ino: string, block: BlockStatus struct}}. What a scrub walks.
     */
    Object[] blocksAfter(String afterIno, int afterIndex, int limit);

    // ---- the healer's lease and state ----

    /**
     * Takes or renews lease {@code name} for {@code holder} for {@code ttlMillis} (100..600000):
     * true if {@code holder} holds it now, false if another holder's lease is still running. Leases
     * live in memory: after a restart the first to ask gets it.
     */
    @SmallAnswer
    boolean lease(String name, String holder, int ttlMillis);

    /** A value the healer keeps across restarts (its scrub cursor, counters), or "" if none. */
    String state(String key);

    /** Sets a {@link #state} value (keys up to 64 bytes, values up to 4096). */
    @SmallAnswer
    boolean setState(String key, String value);
}
