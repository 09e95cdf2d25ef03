package org.quorumfs.common.protocol;

/**
 * Every error that crosses the wire, numbered once. The number travels as the XML-RPC faultCode;
 * the FUSE client translates it to an errno in one table. Numbers are never reused.
 */
public enum ErrorCode {
    /** A bug or an unexpected condition on the server; details are in the server's log. */
    INTERNAL(1),
    /** No such name in a directory, or no such replica. */
    NOT_FOUND(2),
    /** The name is taken (exclusive create, mkdir, link, symlink). */
    EXISTS(3),
    /** rmdir, or rename onto, a directory that has entries. */
    NOT_EMPTY(4),
    /** A path component or the target of a directory operation is not a directory. */
    NOT_DIRECTORY(5),
    /** A file operation was asked of a directory. */
    IS_DIRECTORY(6),
    /** A name longer than {@link Limits#MAX_NAME_BYTES} bytes of UTF-8. */
    NAME_TOO_LONG(7),
    /** A malformed or out-of-range argument: the caller's fault, nothing was changed. */
    INVALID_ARGUMENT(8),
    /** Data could not be read or written with the required quorum. */
    IO(9),
    /** A compare-and-set lost: the block's committed version is not the one the writer read. */
    VERSION_CONFLICT(10),
    /** The server's disk is full. */
    NO_SPACE(11),
    /** The server could not be reached or did not answer in time (never sent by a server). */
    UNAVAILABLE(12),
    /** The operation is not allowed on this object (e.g. a hard link to a directory). */
    NOT_PERMITTED(13),
    /** A file offset or size past {@link Limits#MAX_FILE_SIZE}. */
    FILE_TOO_LARGE(14),
    /** A request larger than the server accepts. */
    TOO_LARGE(15),
    /** Renaming a directory into its own subtree. */
    INVALID_MOVE(16),
    /**
     * An inode given by number no longer exists (NFS's stale handle): a client that cached it
     * resolves the path again. {@link #NOT_FOUND} is a name that is not in its directory.
     */
    STALE(17),
    /** A file handle that is not open (never sent by a server). */
    BAD_HANDLE(18),
    /** No such extended attribute. */
    NO_DATA(19),
    /** An extended attribute's value does not fit the buffer the caller gave. */
    RANGE(20),
    /** Not supported here (an extended attribute namespace other than user.*). */
    NOT_SUPPORTED(21),
    /** A request without a valid proof of the cluster key: refused before it was read. */
    UNAUTHENTICATED(22);

    private final int wire;

    ErrorCode(int wire) {
        this.wire = wire;
    }

    /** The faultCode on the wire. */
    public int wire() {
        return wire;
    }

    /** The code for a faultCode; unknown numbers (a newer or hostile peer) read as {@link #INTERNAL}. */
    public static ErrorCode fromWire(int code) {
        for (ErrorCode c : values()) {
            if (c.wire == code) {
                return c;
            }
        }
        return INTERNAL;
    }
}
