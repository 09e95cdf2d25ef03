package org.quorumfs.common.rpc;

import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the heap the requests a server is serving may take together. Each request reserves what
 * it may cost before its body is read (its body several times over, at least a block read's
 * answer) and gives it back when its answer is written; requests beyond the budget wait their
 * turn. Without it, 64 clients' block puts at once ran a data server's 64 MiB heap out and 28 of
 * them failed with OutOfMemoryError. The allowance fits the default 1 MiB block: with larger
 * blocks a block read's answer costs more than it reserves, and the bound is looser
 * (QFS_DATA_HEAP_MB gives such data servers more heap).
 */
final class RequestMemory {
    /** What a request may cost beyond its body: a 1 MiB block's answer (the block, and its base64 in the answer's array), with room. */
    static final long ANSWER_ALLOWANCE = 6L << 20;
    /**
     * A body's bytes and the decoded block; through the library's
     * parser (a body from another client) its text again as chars, strings and a growing buffer.
     * Which parser a body takes is known only once it is read, and a second reservation then
     * would hold one while waiting for another: every body reserves for the dearer path.
     */
    private static final int BODY_COPIES = 8;

    private final Semaphore kib;
    private final int totalKib;

    /** A budget of {@code bytes}. */
    RequestMemory(long bytes) {
        this.totalKib = (int) Math.min(Integer.MAX_VALUE, Math.max(1, bytes >> 10));
        this.kib = new Semaphore(totalKib, true);
    }

    /** Half this JVM's heap: the rest holds what the server keeps between requests (per-thread parsers among it). */
    static RequestMemory ofThisProcess() {
        return new RequestMemory(Runtime.getRuntime().maxMemory() / 2);
    }

    /**
     * Reserves for a request whose body has {@code contentLength} bytes (-1: not stated, counted as
     * the largest allowed), waiting up to {@code waitMillis}; returns the KiB to {@link #release}.
     * A request larger than the whole budget reserves all of it and runs alone.
     */
    int reserve(long contentLength, long largestBody, long waitMillis) {
        long body = contentLength < 0 ? largestBody : contentLength;
        long bytes = Math.max(ANSWER_ALLOWANCE, BODY_COPIES * body);
        int need = (int) Math.min(totalKib, (bytes + 1023) >> 10);
        try {
            if (!kib.tryAcquire(need, waitMillis, TimeUnit.MILLISECONDS)) {
                throw new FsException(ErrorCode.UNAVAILABLE, "server busy: requests in flight hold its memory");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsException(ErrorCode.UNAVAILABLE, "interrupted waiting for memory to serve the request");
        }
        return need;
    }

    void release(int reservedKib) {
        kib.release(reservedKib);
    }

    /** KiB not reserved now (tests). */
    int availableKib() {
        return kib.availablePermits();
    }
}
