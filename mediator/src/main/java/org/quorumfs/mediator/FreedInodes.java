package org.quorumfs.mediator;

import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.Wire;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Deletes the replicas of inodes whose last link and last hold went, in the background and in
 * batches: an {@code rm -rf} frees a file every few milliseconds, and a call per file to every data
 * server was most of those servers' work. Inodes freed within {@link #WINDOW} of the first go in one
 * call per server, and freed meanwhile wait for the next. A server that is down or fails keeps its
 * replicas: the healer's walk deletes replicas of inodes that no longer exist.
 */
final class FreedInodes implements AutoCloseable {
    static final Duration WINDOW = Duration.ofMillis(20);

    private final ReplicaSet replicas;
    private final Queue<Long> pending = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "freed-inodes");
        t.setDaemon(true);
        return t;
    });

    FreedInodes(ReplicaSet replicas) {
        this.replicas = replicas;
    }

    void add(long ino) {
        pending.add(ino);
        if (scheduled.compareAndSet(false, true)) {
            timer.schedule(this::deleteAll, WINDOW.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void deleteAll() {
        scheduled.set(false);
        while (!pending.isEmpty()) {
            List<String> batch = new ArrayList<>();
            for (Long ino; batch.size() < Limits.MAX_PAGE && (ino = pending.poll()) != null; ) {
                batch.add(Wire.ofLong(ino));
            }
            Object[] inos = batch.toArray();
            replicas.everywhere("delete inodes", ds -> ds.deleteInodes(inos));
        }
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
        deleteAll();
    }
}
