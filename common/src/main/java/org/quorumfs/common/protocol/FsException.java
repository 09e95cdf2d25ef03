package org.quorumfs.common.protocol;

/**
 * The one exception type of QuorumFS: a server throws it, the wire carries its code and message,
 * the client rebuilds it. Unchecked, because almost every call can fail with it and callers
 * translate it in one place (the FUSE boundary).
 */
public class FsException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    public FsException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public FsException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public static FsException notFound(String what) {
        return new FsException(ErrorCode.NOT_FOUND, what + " not found");
    }

    public static FsException invalid(String message) {
        return new FsException(ErrorCode.INVALID_ARGUMENT, message);
    }

    @Override
    public String toString() {
        return code + ": " + getMessage();
    }
}
