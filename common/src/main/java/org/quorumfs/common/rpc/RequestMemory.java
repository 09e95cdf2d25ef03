package org.quorumfs.common.rpc;

import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the heap the requests a server is serving may take together. Each request reserves what
 * its body may cost before the body is read (the body several times over) and, once its method
 * is known, a block read's answer unless the method is declared {@link SmallAnswer}; it gives all
 * back when its answer is written. Requests beyond the budget wait their turn, except small ones
 * (a ping, a vouching check, a commit), which take their few KiB whenever they are free, so they
 * are not queued behind block puts. Without a bound, 64 clients' block puts at once ran a data
 * server's 64 MiB heap out and 28 of them failed with OutOfMemoryError. The allowance fits the
 * default 1 MiB block: with larger blocks a block read's answer costs more than it reserves, and
 * the bound is looser (QFS_DATA_HEAP_MB gives such data servers more heap).
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
    /** The least any request reserves: a small answer and what parsing takes beside the body. */
    static final long SMALL_REQUEST = 64 << 10;

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
     * Reserves for reading and parsing a body of {@code contentLength} bytes (-1: not stated,
     * counted as the largest allowed), waiting up to {@code waitMillis}; returns the KiB to
     * {@link #release}. A request larger than the whole budget reserves all of it and runs alone.
     */
    int reserveBody(long contentLength, long largestBody, long waitMillis) {
        long body = contentLength < 0 ? largestBody : contentLength;
        return acquire(kibOf(Math.max(SMALL_REQUEST, BODY_COPIES * body)), waitMillis);
    }

    /**
     * Tops a reservation of {@code reservedKib} up to a block read's answer, for a method not
     * declared {@link SmallAnswer}; returns the KiB added (also to {@link #release}). A request
     * waiting here holds only its body's reservation, and waits no longer than {@code waitMillis}.
     */
    int reserveAnswer(int reservedKib, long waitMillis) {
        int more = kibOf(ANSWER_ALLOWANCE) - reservedKib;
        return more <= 0 ? 0 : acquire(Math.min(more, totalKib - reservedKib), waitMillis);
    }

    private int kibOf(long bytes) {
        return (int) Math.min(totalKib, (bytes + 1023) >> 10);
    }

    private int acquire(int need, long waitMillis) {
        // tryAcquire without a timeout barges past the waiters of the fair semaphore.
        if (need <= kibOf(SMALL_REQUEST) && kib.tryAcquire(need)) {
            return need;
        }
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
