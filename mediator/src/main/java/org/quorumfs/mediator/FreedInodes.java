package org.quorumfs.mediator;

import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.Wire;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Deletes the replicas of inodes whose last link and last hold went, in the background and in
 * batches: an {@code rm -rf} frees a file every few milliseconds, and a call per file to every data
 * server was most of those servers' work. Inodes freed within {@link #WINDOW} of the first go in one
 * call per server. A server that is down or fails keeps its replicas: the healer's walk deletes
 * replicas of inodes that no longer exist.
 */
final class FreedInodes implements AutoCloseable {
    static final Duration WINDOW = Duration.ofMillis(20);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "freed-inodes");
        t.setDaemon(true);
        return t;
    });
    private final Batches<Long> batches;

    FreedInodes(ReplicaSet replicas) {
        batches = new Batches<>(timer, WINDOW, Limits.MAX_PAGE, (List<Long> inos) -> {
            Object[] ids = inos.stream().map(Wire::ofLong).toArray();
            replicas.everywhere("delete inodes", ds -> ds.deleteInodes(ids));
        });
    }

    void add(long ino) {
        batches.add(ino);
    }

    /** Deletes what is still waiting, then stops. */
    @Override
    public void close() {
        timer.shutdown();
        try {
            timer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        batches.flush();
    }
}
