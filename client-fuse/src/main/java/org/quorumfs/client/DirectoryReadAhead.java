package org.quorumfs.client;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Lists, in the background, the directories a program walking a tree is about to look into. The
 * first name looked up in a directory lists the directory ({@link PathResolver}); each such listing
 * costs the program one call, about a millisecond, per directory it enters. When a directory's
 * listing is first used, the next {@value #AHEAD} directories beside it (in name order, as their
 * parent's listing gave them) are listed here, so a program stat-ing or opening file after file,
 * directory after directory ({@code git status}, a build, a backup, {@code stat} of a tree) finds
 * each listing done. A listing made here answers what a listing made at a lookup answers: the
 * names it holds, for at most {@link PathResolver#LISTED_TTL}; a name it lacks is still looked up.
 * Speculative work stays bounded: one thread, at most {@value #QUEUED} listings waiting or running;
 * a lookup waits for the one running, never for those queued behind it.
 */
final class DirectoryReadAhead {
    private static final Logger log = LoggerFactory.getLogger(DirectoryReadAhead.class);
    static final int AHEAD = 2;
    static final int QUEUED = 2 * AHEAD;

    /** What the read-ahead asks of the directory memo. */
    interface Listings {
        /** Takes {@code dir} for listing: false if it was listed lately or is being listed. */
        boolean claim(String dir);

        /** Lists the claimed {@code dir} into the memo; if it cannot, gives the claim back and throws. */
        void list(String dir);

        /** Gives back the claim on {@code dir}, which will not be listed here after all. */
        void release(String dir);
    }

    /** A listing asked for: waiting for the thread, running, or taken back by a lookup that needs it now. */
    private static final class Pending {
        static final int WAITING = 0;
        static final int RUNNING = 1;
        static final int TAKEN_BACK = 2;
        final AtomicInteger state = new AtomicInteger(WAITING);
        /** Completed with the listing's failure (null if it listed, or was taken back). */
        final CompletableFuture<FsException> done = new CompletableFuture<>();
    }

    private final Listings listings;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "directory-read-ahead");
        t.setDaemon(true);
        return t;
    });
    private final Semaphore room = new Semaphore(QUEUED);
    /** The subdirectories of each directory listed lately, in the order of its listing. */
    private final Cache<String, List<String>> subdirectories = CacheBuilder.newBuilder().maximumSize(10_000)
            .expireAfterWrite(PathResolver.LISTED_TTL).build();
    private final Map<String, Pending> inFlight = new ConcurrentHashMap<>();
    /** Directories listed here whose listing nothing has used yet (forgotten when it expires). */
    private final Cache<String, Boolean> unused = CacheBuilder.newBuilder().maximumSize(QUEUED * 16L)
            .expireAfterWrite(PathResolver.LISTED_TTL).build();
    private final LongAdder listed = new LongAdder();
    private final LongAdder used = new LongAdder();

    DirectoryReadAhead(Listings listings) {
        this.listings = listings;
    }

    /** {@code dir} was just listed: its subdirectories, in the listing's order. */
    void subdirectories(String dir, List<String> names) {
        subdirectories.put(dir, names);
    }

    /** A program starts using {@code dir}'s listing: the directories after it are listed ahead. */
    void walkedInto(String dir) {
        int slash = dir.lastIndexOf('/');
        if (dir.length() <= 1 || slash < 0) {
            return;
        }
        String parent = slash == 0 ? "/" : dir.substring(0, slash);
        List<String> siblings = subdirectories.getIfPresent(parent);
        if (siblings == null) {
            return;
        }
        int at = siblings.indexOf(dir.substring(slash + 1));
        if (at < 0) {
            return;
        }
        String prefix = parent.equals("/") ? "/" : parent + "/";
        for (int i = at + 1; i <= at + AHEAD && i < siblings.size(); i++) {
            start(prefix + siblings.get(i));
        }
    }

    private void start(String dir) {
        if (!room.tryAcquire()) {
            return;
        }
        if (!listings.claim(dir)) {
            room.release();
            return;
        }
        Pending p = new Pending();
        inFlight.put(dir, p);
        worker.execute(() -> {
            if (!p.state.compareAndSet(Pending.WAITING, Pending.RUNNING)) {
                room.release(); // taken back: the lookup that needed it listed it itself
                return;
            }
            FsException failed = null;
            try {
                listings.list(dir);
                unused.put(dir, true);
                listed.increment();
            } catch (FsException e) {
                failed = e;
            } catch (RuntimeException e) {
                log.warn("reading ahead the listing of {} failed", dir, e);
            } finally {
                inFlight.remove(dir, p);
                p.done.complete(failed);
                room.release();
            }
        });
    }

    /**
     * A lookup in {@code dir} needs its listing: if this read-ahead is making it, waits for it and
     * returns true; if it is only waiting for the thread, takes it back (the lookup lists for
     * itself, waiting for nothing else) and returns false. If the listing failed because the
     * meta-server did not answer (hung, or down for as long as a call waits), throws that: the
     * lookup would otherwise wait as long again for its own. Other failures (the directory went
     * away) leave the lookup to find out for itself.
     */
    boolean awaitListing(String dir) {
        Pending p = inFlight.get(dir);
        if (p == null) {
            return false;
        }
        if (p.state.compareAndSet(Pending.WAITING, Pending.TAKEN_BACK)) {
            inFlight.remove(dir, p);
            listings.release(dir);
            p.done.complete(null);
            return false;
        }
        FsException failed = p.done.join();
        if (failed != null && failed.code() == ErrorCode.UNAVAILABLE) {
            throw new FsException(ErrorCode.UNAVAILABLE, "the listing of " + dir + " failed: " + failed.getMessage(), failed);
        }
        return true;
    }

    /** Whether no listing is waiting or running here. */
    boolean idle() {
        return inFlight.isEmpty();
    }

    /** The memo answered for {@code path}: if that was the first use of a listing made here, read on. */
    void answered(String path) {
        if (unused.size() == 0) {
            return;
        }
        String dir = PathResolver.parentOf(path);
        if (unused.asMap().remove(dir) != null) {
            used.increment();
            walkedInto(dir);
        }
    }

    @Override
    public String toString() {
        return "directory listings read ahead " + listed.sum() + ", used " + used.sum();
    }
}
