package org.quorumfs.metaserver;

import java.util.HashMap;
import java.util.Map;

/**
 * Named leases, so that exactly one of several healers works at a time: a holder renews well
 * within the time-to-live; when it stops (killed, hung), the lease runs out and the next holder to
 * ask gets it. In memory: after a meta-server restart the first to ask gets it, and a holder
 * renewing then finds out whether it still has it.
 */
final class Leases {
    private record Lease(String holder, long deadlineNanos) {
    }

    private final Map<String, Lease> leases = new HashMap<>();

    synchronized boolean hold(String name, String holder, int ttlMillis) {
        long now = System.nanoTime();
        Lease l = leases.get(name);
        if (l != null && !l.holder().equals(holder) && l.deadlineNanos() - now > 0) {
            return false;
        }
        leases.put(name, new Lease(holder, now + ttlMillis * 1_000_000L));
        return true;
    }
}
