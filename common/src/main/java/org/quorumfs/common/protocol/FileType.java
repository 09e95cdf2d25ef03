package org.quorumfs.common.protocol;

/** The file-type bits of a POSIX mode, as stored in {@link Attributes#mode()}. */
public enum FileType {
    REGULAR(0100000),
    DIRECTORY(0040000),
    SYMLINK(0120000),
    FIFO(0010000),
    CHARACTER_DEVICE(0020000),
    BLOCK_DEVICE(0060000),
    SOCKET(0140000);

    /** Mask of the type bits in a mode (S_IFMT). */
    public static final int TYPE_MASK = 0170000;
    /** Mask of the permission bits a user may set (including setuid, setgid, sticky). */
    public static final int PERMISSION_MASK = 07777;

    private final int bits;

    FileType(int bits) {
        this.bits = bits;
    }

    public int bits() {
        return bits;
    }

    public int mode(int permissions) {
        return bits | (permissions & PERMISSION_MASK);
    }

    /** Whether {@code mknod} makes this type: a regular file or a special file (never data on the data servers). */
    public boolean madeByMknod() {
        return this != DIRECTORY && this != SYMLINK;
    }

    /** Whether the type carries a device number. */
    public boolean isDevice() {
        return this == CHARACTER_DEVICE || this == BLOCK_DEVICE;
    }

    public static FileType of(int mode) {
        int t = mode & TYPE_MASK;
        for (FileType f : values()) {
            if (f.bits == t) {
                return f;
            }
        }
        throw FsException.invalid("unsupported file type in mode " + Integer.toOctalString(mode));
    }
}
