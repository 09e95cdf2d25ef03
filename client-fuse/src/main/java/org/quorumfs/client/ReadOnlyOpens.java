package org.quorumfs.client;

import jnr.ffi.Pointer;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Opens for reading only are answered with FOPEN_NOFLUSH (Linux 5.19 on; older kernels ignore
 * the bit), so that their close sends no FLUSH. The kernel sends FLUSH at every close and the
 * closing program waits for its answer, though a handle that cannot write has nothing to flush:
 * a small file's read was five requests (lookup, open, read, flush, release), the flush one of
 * the four the reader waits for. Its only effect was to push out what other, writable handles of
 * the file had buffered, which their own flush, fsync or release does, with their errors.
 * libfuse 2.9 has no field for the bit, so {@link FuseSessionLoop} shows every answer to
 * {@link #reply} on its way to the kernel.
 */
final class ReadOnlyOpens {
    /** Opcodes (fuse_kernel.h). */
    static final int FUSE_OPEN = 14;
    static final int FUSE_FLUSH = 25;
    /** fuse_open_out.open_flags: the kernel sends no FLUSH at this handle's close. */
    static final int FOPEN_NOFLUSH = 1 << 5;
    /** struct fuse_in_header is 40 bytes; fuse_open_in's flags follow it. */
    static final int OPEN_IN_FLAGS = 40;
    /** struct fuse_open_out: fh, then open_flags. */
    static final int OPEN_OUT_FLAGS = 8;
    private static final int O_ACCMODE = 3;

    /** The unique id of the read-only open this worker thread serves, else 0 (ids start at 1). */
    private final ThreadLocal<long[]> serving = ThreadLocal.withInitial(() -> new long[1]);
    private final AtomicLong unflushed = new AtomicLong();
    private final AtomicLong flushes = new AtomicLong();

    /** A worker starts on the request in {@code request} ({@code length} bytes read from the device). */
    void serving(Pointer request, int length) {
        int opcode = request.getInt(4);
        boolean readOnly = opcode == FUSE_OPEN && length >= OPEN_IN_FLAGS + 4
                && (request.getInt(OPEN_IN_FLAGS) & O_ACCMODE) == 0;
        serving.get()[0] = readOnly ? request.getLong(8) : 0;
        if (opcode == FUSE_FLUSH) {
            flushes.incrementAndGet();
        }
    }

    /** Another request, whose header was not read: nothing to mark. */
    void servingOther() {
        serving.get()[0] = 0;
    }

    /**
     * An answer on its way to the kernel ({@code count} iovecs: the fuse_out_header, then the
     * body): a successful answer to the read-only open this thread serves gets FOPEN_NOFLUSH.
     */
    void reply(Pointer iov, long count) {
        long unique = serving.get()[0];
        if (unique == 0 || count < 2 || iov.getLong(8) < 16) {
            return;
        }
        Pointer header = iov.getPointer(0);
        if (header.getLong(8) != unique || header.getInt(4) != 0 || iov.getLong(24) < OPEN_OUT_FLAGS + 4) {
            return; // an error, a notification, or another request's answer
        }
        Pointer body = iov.getPointer(16);
        body.putInt(OPEN_OUT_FLAGS, body.getInt(OPEN_OUT_FLAGS) | FOPEN_NOFLUSH);
        serving.get()[0] = 0;
        unflushed.incrementAndGet();
    }

    @Override
    public String toString() {
        return "opens for reading without a flush " + unflushed.get() + ", flush requests " + flushes.get();
    }
}
