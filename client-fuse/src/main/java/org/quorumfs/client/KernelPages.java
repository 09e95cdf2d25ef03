package org.quorumfs.client;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Verified bytes a random read fetched around the pages the kernel asked for, handed to the
 * kernel's page cache just before the read is answered (FUSE_NOTIFY_STORE), so that reads of the pages
 * around it are answered by the kernel instead of each making a trip through the FUSE device, a
 * worker and the piece cache. A 4 KiB random read fetches and verifies the whole 64 KiB piece
 * around it (the grain of the MD5s the meta-server holds); its 15 neighbours were each a FUSE
 * request of their own.
 *
 * <p>Only for a file that no handle of this mount can change: a store overwrites whatever page it
 * lands on, so a page a local write had just changed would go back to older bytes. A file is
 * offered only while it has no writable handle and nothing buffered or being written; a writable
 * open, a truncate and the last close each wait for the stores of the file in progress, and a
 * store offered before one of them is dropped ({@link OpenFile#beginFill}). What another mount
 * changes is seen from the next open on, when the kernel drops the file's pages (no keep_cache),
 * as for the pages the kernel's own reads brought in.
 */
final class KernelPages {
    private static final Logger log = LoggerFactory.getLogger(KernelPages.class);
    /** The kernel's page size: only whole pages are stored, none of those the answered read asked for. */
    static final int PAGE = 4096;
    /** At most this much per read: the rest of a random read's piece or two. */
    static final int MAX_FILL = 128 * 1024;

    /** Hands {@code length} bytes of {@code data} from {@code from} to node {@code nodeid}'s cache at {@code offset}; 0 or -errno. */
    interface Store {
        int store(long nodeid, long offset, byte[] data, int from, int length);
    }

    /** The file a fill is of: whether the fill may still go ({@link OpenFile#beginFill}), and its end. */
    interface Guard {
        boolean beginFill(long changes);

        void endFill();
    }

    private record Fill(Guard file, long changes, long offset, byte[] data, int from, int length) {
    }

    /** What the worker thread is answering: a read of kernel node {@code nodeid}, or 0. */
    private static final class Serving {
        long nodeid;
        int bytes;
        final List<Fill> fills = new ArrayList<>();
    }

    private final ThreadLocal<Serving> serving = ThreadLocal.withInitial(Serving::new);
    private volatile Store store;
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong pagesStored = new AtomicLong();
    private volatile boolean failureLogged;

    /** From now on, fills go to the kernel through {@code s} (the loop calls this once it can). */
    void storeWith(Store s) {
        store = s;
    }

    /** The worker thread starts on a request: a read of node {@code nodeid}, or anything else (0). */
    void serving(long nodeid) {
        Serving s = serving.get();
        s.nodeid = nodeid;
        s.bytes = 0;
        s.fills.clear();
    }

    /** A read request is being answered (counted, for the log at unmount). */
    void read() {
        reads.incrementAndGet();
    }

    /**
     * Offers {@code data}, the verified bytes of {@code file} from {@code offset}, fetched by the read
     * of [{@code askedFrom}, {@code askedTo}) being answered on this thread; {@code size} is the
     * file's size and {@code changes} its count of opens and truncates, both read under
     * the file's lock. The whole pages below the file's end that the read did not ask for go to the
     * kernel before the answer ({@link #storeOffered}).
     */
    void offer(Guard file, long changes, long size, long offset, byte[] data, long askedFrom, long askedTo) {
        Serving s = serving.get();
        if (store == null || s.nodeid == 0) {
            return;
        }
        long start = roundUp(offset);
        long end = Math.min(offset + data.length, size) / PAGE * PAGE;
        add(s, file, changes, offset, data, start, Math.min(end, askedFrom / PAGE * PAGE));
        add(s, file, changes, offset, data, Math.max(start, roundUp(askedTo)), end);
    }

    private static void add(Serving s, Guard file, long changes, long offset, byte[] data, long from, long to) {
        int n = (int) Math.min(to - from, MAX_FILL - s.bytes);
        if (n > 0) {
            s.fills.add(new Fill(file, changes, from, data, (int) (from - offset), n));
            s.bytes += n;
        }
    }

    private static long roundUp(long at) {
        return (at + PAGE - 1) / PAGE * PAGE;
    }

    /**
     * The read's answer is ready: the fills offered while making it go to the kernel now, before
     * the answer, so that the reader's next read finds them. Called outside the file's lock: a store
     * waits for the lock of each page it fills, which a read of that page in flight holds until its
     * own answer, and that read may need the file's lock. The pages of the read being answered
     * (locked until its answer) are never among them.
     */
    void storeOffered() {
        Serving s = serving.get();
        if (s.fills.isEmpty()) {
            return;
        }
        long nodeid = s.nodeid;
        Store to = store;
        for (Fill f : s.fills) {
            if (!f.file().beginFill(f.changes())) {
                continue;
            }
            int res;
            try {
                res = to.store(nodeid, f.offset(), f.data(), f.from(), f.length());
            } catch (RuntimeException e) {
                res = -1; // the read's answer must still go
                log.warn("handing read pages to the kernel failed", e);
            } finally {
                f.file().endFill();
            }
            if (res == 0) {
                pagesStored.addAndGet(f.length() / PAGE);
            } else if (!failureLogged) {
                failureLogged = true; // ENOENT: the kernel dropped the node meanwhile
                log.info("handing read pages to the kernel failed: errno {} (further failures not logged)", -res);
            }
        }
        s.fills.clear();
        s.bytes = 0;
    }

    /** The request has been answered: nothing more is offered for it. */
    void answered() {
        serving(0);
    }

    long pagesStored() {
        return pagesStored.get();
    }

    @Override
    public String toString() {
        return "read requests " + reads.get() + ", pages handed to the kernel " + pagesStored.get();
    }
}
