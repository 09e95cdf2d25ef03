package org.quorumfs.metaserver;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The mounts' sessions and their leases. A mount renews its session well within the lease; one
 * that stops renewing (killed, or hung longer than the lease) has its holds dropped, and the
 * inodes unlinked while it held them open are freed then, their replicas recorded as garbage.
 * Leases live in memory: after a restart every session that holds something gets a fresh lease, so
 * a mount that comes back within it keeps its open files.
 */
final class Sessions implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Sessions.class);

    private final MetaStore store;
    private final long leaseNanos;
    private final Map<String, Long> deadlines = new HashMap<>();
    private final ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "session-reaper");
        t.setDaemon(true);
        return t;
    });

    Sessions(MetaStore store, Duration lease) {
        this.store = store;
        this.leaseNanos = lease.toNanos();
        for (String s : store.sessionsWithHolds()) {
            deadlines.put(s, deadline());
        }
        long period = Math.max(50, lease.toMillis() / 4);
        reaper.scheduleWithFixedDelay(this::expire, period, period, TimeUnit.MILLISECONDS);
    }

    long leaseMillis() {
        return TimeUnit.NANOSECONDS.toMillis(leaseNanos);
    }

    synchronized String open() {
        String id = UUID.randomUUID().toString();
        deadlines.put(id, deadline());
        return id;
    }

    /** Extends {@code id}'s lease; returns whether it was known (a lapsed one is known again from now). */
    synchronized boolean renew(String id) {
        return deadlines.put(id, deadline()) != null;
    }

    /** Ends a session; returns the inodes that freed. */
    synchronized List<Long> close(String id) {
        deadlines.remove(id);
        return store.dropSession(id, false);
    }

    private synchronized void expire() {
        long now = System.nanoTime();
        for (var it = deadlines.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (now - e.getValue() > 0) {
                it.remove();
                try {
                    List<Long> freed = store.dropSession(e.getKey(), true);
                    log.warn("session {} lapsed (no renewal within {} ms): its holds are dropped, {} unlinked inodes freed",
                            e.getKey(), leaseMillis(), freed.size());
                } catch (RuntimeException ex) {
                    log.error("dropping lapsed session {} failed; retried at the next round", e.getKey(), ex);
                    deadlines.put(e.getKey(), now);
                }
            }
        }
    }

    private long deadline() {
        return System.nanoTime() + leaseNanos;
    }

    @Override
    public void close() {
        reaper.shutdownNow();
    }
}
