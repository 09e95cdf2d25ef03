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
    Map<String, Object> info();

    /** The attributes of {@code name} in directory {@code parent}. */
    Map<String, Object> lookup(String parent, String name);

    /** The attributes of inode {@code ino}. */
    Map<String, Object> getattr(String ino);

    /** Applies {@link AttributeChanges} (mode permission bits, owner, times); returns the new attributes. */
    Map<String, Object> setattr(String ino, Map<String, Object> changes);

    /** Creates an empty regular file, exclusively ({@code EXISTS} if the name is taken). */
    Map<String, Object> create(String parent, String name, int mode, int uid, int gid);

    /** Creates a directory ({@code EXISTS} if the name is taken). */
    Map<String, Object> mkdir(String parent, String name, int mode, int uid, int gid);

    /** Creates a symlink to {@code target} (at most {@link Limits#MAX_SYMLINK_BYTES}). */
    Map<String, Object> symlink(String parent, String name, String target, int uid, int gid);

    /** The target of symlink {@code ino} ({@code INVALID_ARGUMENT} if it is not a symlink). */
    String readlink(String ino);

    /**
     * A new hard link to non-directory {@code ino} ({@code NOT_PERMITTED} for a directory);
     * returns the inode's new attributes.
     */
    Map<String, Object> link(String ino, String newParent, String newName);

    /**
     * Removes a non-directory entry ({@code IS_DIRECTORY} for a directory). Returns the inode number
     * whose last link this was and whose data may now be deleted, or "0".
     */
    String unlink(String parent, String name);

    /** Removes an empty directory ({@code NOT_EMPTY}, {@code NOT_DIRECTORY}). */
    boolean rmdir(String parent, String name);

    /**
     * Moves an entry, atomically replacing a destination of a compatible kind: a file replaces a
     * file, a directory an empty directory ({@code NOT_EMPTY}, {@code IS_DIRECTORY},
     * {@code NOT_DIRECTORY}); moving a directory into its own subtree is {@code INVALID_MOVE}.
     * Returns the inode number of a replaced file whose last link this was, or "0".
     */
    String rename(String srcParent, String srcName, String dstParent, String dstName);

    /**
     * One page of directory {@code ino}'s entries in name order, starting after name {@code after}
     * ("" for the first page), at most {@code limit} (up to {@link Limits#MAX_PAGE}) entries.
     * Returns an array of {@link DirEntry} structs; "." and ".." are not included.
     */
    Object[] readdir(String ino, String after, int limit);

    /** Counts: {@code files} (int), {@code bytes} (decimal string, sum of file sizes). */
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
    String allocateVersions(int count);

    /**
     * Makes a {@link BlockCommit} current: compare-and-set on the block's version
     * ({@code VERSION_CONFLICT} if it moved), grows the file size to cover the block, updates
     * mtime and ctime, and records the servers that missed the write. Returns the new attributes.
     */
    Map<String, Object> commitBlock(String ino, Map<String, Object> commit);

    /**
     * Sets the size of regular file {@code ino}: drops blocks wholly past it and, when a block
     * straddles the new end, commits {@code tail} (a {@link BlockCommit} of that block cut short;
     * an empty struct when none straddles). Returns {@code {attributes: struct, dropped: array of
     * BlockRecord structs}}: the dropped blocks' replicas are garbage on the data servers.
     */
    Map<String, Object> truncate(String ino, String size, Map<String, Object> tail);

    /** Replicas recorded as having missed a write: array of {ino, index, server} structs, at most {@code limit}. */
    Object[] missedReplicas(int limit);

    /** Forgets that {@code server} missed block {@code index} of {@code ino} (it was healed). */
    boolean clearMissed(String ino, int index, String server);
}
