package org.quorumfs.client;

import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.NewEntry;
import org.quorumfs.common.protocol.OpenedFile;
import org.quorumfs.common.protocol.SessionGrant;
import org.quorumfs.mediator.Batches;
import org.quorumfs.mediator.Mediator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * This mount's session at the meta-server, which holds every file the mount has open: a file
 * unlinked or renamed over, here or on another mount, keeps its data until its last close here
 * (and, if this mount dies first, until its session lapses). The session is renewed every third of
 * its lease; holds are dropped in the background at the last close (a late drop only delays the
 * freeing); and inodes whose holder died are cleared from the data servers here, as garbage.
 */
final class MountSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MountSession.class);
    /** Garbage inodes cleared per round, every {@link #GARBAGE_EVERY_RENEWALS} renewals. */
    private static final int GARBAGE_PER_ROUND = 100;
    private static final int GARBAGE_EVERY_RENEWALS = 3;

    private final Mediator mediator;
    private final SessionGrant session;
    private final Supplier<Collection<Long>> openInodes;
    private final ScheduledExecutorService background = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mount-session");
        t.setDaemon(true);
        return t;
    });
    private int renewals;
    /** Holds to drop, sent together {@link #CLOSE_BATCH} after the first of them. */
    private final Batches<Long> closes = new Batches<>(background, CLOSE_BATCH, Limits.MAX_PAGE, this::closeEach);
    static final Duration CLOSE_BATCH = Duration.ofMillis(20);

    /** Opens a session; {@code openInodes} tells which inodes to hold again if it ever lapses. */
    MountSession(Mediator mediator, Supplier<Collection<Long>> openInodes) {
        this.mediator = mediator;
        this.session = mediator.openSession();
        this.openInodes = openInodes;
        long period = Math.max(100, session.lease().toMillis() / 3);
        background.scheduleWithFixedDelay(this::renew, period, period, TimeUnit.MILLISECONDS);
        log.info("session {} (lease {} s)", session.id(), session.lease().toSeconds());
    }

    /** Holds {@code ino} open: its attributes and first blocks. */
    OpenedFile open(long ino) {
        return mediator.open(session.id(), ino, BlockMap.WINDOW);
    }

    /** A file created held by this session. */
    NewEntry create(long parent, String name, int mode, int uid, int gid) {
        return mediator.createAndOpen(session.id(), parent, name, mode, uid, gid);
    }

    /**
     * Drops one hold of {@code ino}, in the background: holds dropped within {@link #CLOSE_BATCH}
     * of each other go in one call (a loop reading or writing small files closed one per file, a
     * call the meta-server parsed and authenticated for one row).
     */
    void close(long ino) {
        closes.add(ino);
    }

    private void closeEach(List<Long> inos) {
        try {
            mediator.closeEach(session.id(), inos);
        } catch (FsException e) {
            log.warn("closing {} inodes at the meta-server failed (freed when the session ends): {}", inos.size(), e.getMessage());
        }
    }

    private void renew() {
        try {
            if (!mediator.renewSession(session.id())) {
                Collection<Long> open = openInodes.get();
                log.warn("session {} had lapsed (this mount was unreachable longer than its lease): holding its {} open files again",
                        session.id(), open.size());
                for (long ino : open) {
                    try {
                        mediator.open(session.id(), ino, 0);
                    } catch (FsException e) {
                        log.error("inode {} was freed while the session had lapsed: its open handles will fail", ino);
                    }
                }
            }
            if (++renewals % GARBAGE_EVERY_RENEWALS == 0) {
                int cleared = mediator.collectGarbage(GARBAGE_PER_ROUND);
                if (cleared > 0) {
                    log.info("deleted the replicas of {} freed inodes", cleared);
                }
            }
        } catch (FsException e) {
            log.warn("renewing session {} failed (retried): {}", session.id(), e.getMessage());
        } catch (RuntimeException e) {
            log.error("session upkeep failed", e);
        }
    }

    /** Ends the session (at unmount, after every file was written out). */
    @Override
    public void close() {
        background.shutdown();
        try {
            background.awaitTermination(10, TimeUnit.SECONDS);
            mediator.closeSession(session.id());
        } catch (FsException e) {
            log.warn("ending session {} failed; it lapses by itself: {}", session.id(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
