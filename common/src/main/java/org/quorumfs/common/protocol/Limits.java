package org.quorumfs.common.protocol;

/** Bounds every process enforces on what it is sent. */
public final class Limits {
    /** Longest name in a directory, in bytes of UTF-8 (as ext4 and NAME_MAX). */
    public static final int MAX_NAME_BYTES = 255;
    /** Longest symlink target, in bytes of UTF-8 (PATH_MAX). */
    public static final int MAX_SYMLINK_BYTES = 4096;
    /** Largest block a cluster may be configured with. */
    public static final int MAX_BLOCK_SIZE = 8 << 20;
    /**
     * Grain of the per-piece MD5s committed with every block: a read of a few KiB fetches and
     * verifies only the pieces it touches instead of the whole block.
     */
    public static final int PIECE_SIZE = 64 << 10;
    /** Largest XML-RPC request body a server reads: a largest block in base64 plus envelope. */
    public static final int MAX_REQUEST_BYTES = MAX_BLOCK_SIZE / 3 * 4 + (1 << 20);
    /** Largest file: 2^53, so offsets stay exact wherever a double might carry them. */
    public static final long MAX_FILE_SIZE = 1L << 53;
    /** Longest extended attribute name, with its namespace prefix (XATTR_NAME_MAX). */
    public static final int MAX_XATTR_NAME_BYTES = 255;
    /** Largest extended attribute value (XATTR_SIZE_MAX). */
    public static final int MAX_XATTR_VALUE_BYTES = 64 << 10;
    /** Most bytes of extended attribute names and values one inode carries. */
    public static final int MAX_XATTR_TOTAL_BYTES = 1 << 20;
    /** Most entries one readdir page returns. */
    public static final int MAX_PAGE = 10_000;

    private Limits() {
    }
}
