package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * A data server's RPC interface: a durable store of block replicas addressed by
 * (inode, block index, version) — numbers only, never paths. A put is atomic (a reader never sees
 * half a replica) and durable before it returns.
 *
 * <p>Failures are {@link FsException}s: {@code INVALID_ARGUMENT} for malformed ids,
 * {@code TOO_LARGE} for data over {@link Limits#MAX_BLOCK_SIZE}, {@code NO_SPACE} when the disk is
 * full, {@code IO} for other disk errors.
 */
public interface DataService {
    /** Stores replica {@code version} of block {@code index} of inode {@code ino}. */
    @SmallAnswer
    boolean put(String ino, int index, String version, byte[] data);

    /** Reads a replica: a {@link ReplicaBytes}, empty when this server holds no replica of that version. */
    Map<String, Object> get(String ino, int index, String version);

    /**
     * Vouches for a replica without sending it: a {@link ReplicaCheck} of the replica as it is on
     * this server's disk. Lets a read count Qr answering replicas while moving the bytes of only one.
     */
    @SmallAnswer
    Map<String, Object> check(String ino, int index, String version);

    /**
     * Reads {@code length} bytes from {@code offset} of a replica (fewer at its end): a
     * {@link ReplicaBytes}, empty when this server holds no replica of that version. A read of part
     * of a block moves only that part.
     */
    Map<String, Object> getRange(String ino, int index, String version, int offset, int length);

    /**
     * Vouches for pieces [{@code firstPiece}, {@code firstPiece + count}) of a replica
     * ({@link Limits#PIECE_SIZE} bytes each, the last one possibly short) without sending them: a
     * {@link PieceCheck}.
     */
    @SmallAnswer
    Map<String, Object> checkPieces(String ino, int index, String version, int firstPiece, int count);

    /** Deletes replica {@code version} of a block, if held; returns how many (0 or 1). */
    @SmallAnswer
    int delete(String ino, int index, String version);

    /**
     * Deletes the replicas of a block whose version is below {@code belowVersion} (garbage once a
     * newer version is committed); returns how many.
     */
    @SmallAnswer
    int prune(String ino, int index, String belowVersion);

    /** Deletes every replica of inode {@code ino}; returns how many. */
    @SmallAnswer
    int deleteInode(String ino);

    /**
     * {@link #deleteInode} of each of {@code inos} (decimal strings, 1..{@link Limits#MAX_PAGE});
     * returns how many replicas went. A client deletes the files an {@code rm -rf} freed in batches.
     */
    @SmallAnswer
    int deleteInodes(Object[] inos);

    /**
     * One page of the replicas held, in (ino, index, version) order, after replica
     * {@code after} ({"ino","index","version"} struct, or empty for the first page), at most
     * {@code limit}; an array of {@link ReplicaInfo} structs.
     */
    Object[] list(Map<String, Object> after, int limit);

    /** What this server holds and its disk, for status: a {@link StoreSpace}. Walks the store: not for every call. */
    @SmallAnswer
    Map<String, Object> usage();

    /** Liveness and capacity: the disk of a {@link StoreSpace} ({@link StoreSpace#diskToWire}). */
    @SmallAnswer
    Map<String, Object> ping();
}
