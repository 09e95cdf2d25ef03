package org.quorumfs.client;

import jnr.constants.platform.Errno;
import org.quorumfs.common.protocol.ErrorCode;

import java.util.EnumMap;
import java.util.Map;

/** The one table from QuorumFS error codes to the errno an application sees. */
final class ErrnoTable {
    private static final Map<ErrorCode, Errno> TABLE = new EnumMap<>(ErrorCode.class);

    static {
        TABLE.put(ErrorCode.INTERNAL, Errno.EIO);
        TABLE.put(ErrorCode.NOT_FOUND, Errno.ENOENT);
        TABLE.put(ErrorCode.EXISTS, Errno.EEXIST);
        TABLE.put(ErrorCode.NOT_EMPTY, Errno.ENOTEMPTY);
        TABLE.put(ErrorCode.NOT_DIRECTORY, Errno.ENOTDIR);
        TABLE.put(ErrorCode.IS_DIRECTORY, Errno.EISDIR);
        TABLE.put(ErrorCode.NAME_TOO_LONG, Errno.ENAMETOOLONG);
        TABLE.put(ErrorCode.INVALID_ARGUMENT, Errno.EINVAL);
        TABLE.put(ErrorCode.IO, Errno.EIO);
        // Another writer kept winning the block's compare-and-set: the write did not happen.
        TABLE.put(ErrorCode.VERSION_CONFLICT, Errno.EIO);
        TABLE.put(ErrorCode.NO_SPACE, Errno.ENOSPC);
        TABLE.put(ErrorCode.UNAVAILABLE, Errno.EIO);
        TABLE.put(ErrorCode.NOT_PERMITTED, Errno.EPERM);
        TABLE.put(ErrorCode.FILE_TOO_LARGE, Errno.EFBIG);
        TABLE.put(ErrorCode.TOO_LARGE, Errno.EIO);
        TABLE.put(ErrorCode.INVALID_MOVE, Errno.EINVAL);
        // Paths are resolved again on a stale inode; one still stale was removed meanwhile.
        TABLE.put(ErrorCode.STALE, Errno.ENOENT);
        TABLE.put(ErrorCode.BAD_HANDLE, Errno.EBADF);
        TABLE.put(ErrorCode.NO_DATA, Errno.ENODATA);
        TABLE.put(ErrorCode.RANGE, Errno.ERANGE);
        TABLE.put(ErrorCode.NOT_SUPPORTED, Errno.EOPNOTSUPP);
        TABLE.put(ErrorCode.UNAUTHENTICATED, Errno.EACCES);
    }

    private ErrnoTable() {
    }

    /** The negative errno a FUSE callback returns for {@code code}. */
    static int negative(ErrorCode code) {
        return -TABLE.get(code).intValue();
    }

    static int negative(Errno errno) {
        return -errno.intValue();
    }
}
