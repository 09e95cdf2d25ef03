package org.quorumfs.mediator;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of what the mediator did and saw, since it started. */
public final class MediatorStats {
    final AtomicLong blockWrites = new AtomicLong();
    final AtomicLong blockReads = new AtomicLong();
    final AtomicLong pieceReads = new AtomicLong();
    final AtomicLong sharedReads = new AtomicLong();
    final AtomicLong earlyReads = new AtomicLong();
    final AtomicLong quorumFailures = new AtomicLong();
    final AtomicLong badReplicasSeen = new AtomicLong();
    final AtomicLong repairs = new AtomicLong();

    public long blockWrites() {
        return blockWrites.get();
    }

    public long blockReads() {
        return blockReads.get();
    }

    /** Reads of part of a block that moved and verified only its pieces. */
    public long pieceReads() {
        return pieceReads.get();
    }

    /** Of {@link #blockReads}, those where each of the Qr servers sent its share of the pieces. */
    public long sharedReads() {
        return sharedReads.get();
    }

    /** Small files read while their open was on the way, whose open then confirmed the block read. */
    public long earlyReads() {
        return earlyReads.get();
    }

    public long quorumFailures() {
        return quorumFailures.get();
    }

    public long badReplicasSeen() {
        return badReplicasSeen.get();
    }

    public long repairs() {
        return repairs.get();
    }

    @Override
    public String toString() {
        return "blockWrites=" + blockWrites + " blockReads=" + blockReads + " pieceReads=" + pieceReads
                + " sharedReads=" + sharedReads + " earlyReads=" + earlyReads
                + " quorumFailures=" + quorumFailures
                + " badReplicasSeen=" + badReplicasSeen + " repairs=" + repairs;
    }
}
