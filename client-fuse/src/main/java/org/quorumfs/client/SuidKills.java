package org.quorumfs.client;

import jnr.ffi.Pointer;

/**
 * Set-user-ID and set-group-ID bits cleared by the filesystem instead of the kernel.
 *
 * <p>Why: before every write the kernel asks whether the file carries a security.capability
 * attribute, since a write must drop it (and set-ID bits), and FUSE lets it remember the answer
 * only when the filesystem takes that work over (FUSE_HANDLE_KILLPRIV_V2, Linux 5.11 on; the
 * kernel then marks a file it saw without set-ID bits and asks nothing more until its attributes
 * change). So every 4 KiB random write was two requests, a GETXATTR and the WRITE. We store no
 * security.* attributes, so only the set-ID bits are ours to clear, where the kernel says so: a
 * WRITE with FUSE_WRITE_KILL_SUIDGID, a SETATTR with FATTR_KILL_SUIDGID (a truncate, including an
 * open with O_TRUNC, by a caller without CAP_FSETID; every chown of a file). libfuse 2.9 passes
 * neither flag on, so {@link FuseSessionLoop} shows each request to {@link #serving} before libfuse
 * runs it, and the callback, on the same thread, asks {@link #requested}.
 */
final class SuidKills {
    /** The INIT flag (fuse_kernel.h), answered only when the kernel offers it. */
    static final int FUSE_HANDLE_KILLPRIV_V2 = 1 << 28;
    static final int FUSE_SETATTR = 4;
    static final int FUSE_WRITE = 16;
    /** fuse_write_in: fh, offset, size, then write_flags, after the 40-byte fuse_in_header. */
    static final int WRITE_IN_FLAGS = 40 + 20;
    static final int FUSE_WRITE_KILL_SUIDGID = 1 << 2;
    /** fuse_setattr_in: valid first. */
    static final int SETATTR_IN_VALID = 40;
    static final int FATTR_KILL_SUIDGID = 1 << 11;

    static final int S_ISUID = 04000;
    static final int S_ISGID = Permissions.S_ISGID;
    static final int S_IXGRP = 00010;

    private final ThreadLocal<boolean[]> requested = ThreadLocal.withInitial(() -> new boolean[1]);

    /** A worker starts on the request in {@code request} ({@code length} bytes read from the device). */
    void serving(Pointer request, int length) {
        requested.get()[0] = switch (request.getInt(4)) {
            case FUSE_WRITE -> flagged(request, length, WRITE_IN_FLAGS, FUSE_WRITE_KILL_SUIDGID);
            case FUSE_SETATTR -> flagged(request, length, SETATTR_IN_VALID, FATTR_KILL_SUIDGID);
            default -> false;
        };
    }

    private static boolean flagged(Pointer request, int length, int at, int flag) {
        return length >= at + 4 && (request.getInt(at) & flag) != 0;
    }

    /** Another request, whose header was not read. */
    void servingOther() {
        requested.get()[0] = false;
    }

    /** Whether the request this thread serves asks for the file's set-ID bits to be cleared. */
    boolean requested() {
        return requested.get()[0];
    }

    static boolean carriesSetId(int mode) {
        return (mode & (S_ISUID | S_ISGID)) != 0;
    }

    /**
     * {@code mode} with the bits the kernel's own rules clear (setattr_should_drop_suidgid):
     * set-user-ID always; set-group-ID when the group may execute the file (otherwise it marks
     * mandatory locking) or the caller is neither in the file's group nor privileged.
     */
    static int killed(int mode, boolean callerInGroupOrPrivileged) {
        int kill = S_ISUID;
        if ((mode & S_IXGRP) != 0 || !callerInGroupOrPrivileged) {
            kill |= S_ISGID;
        }
        return mode & ~kill;
    }
}
