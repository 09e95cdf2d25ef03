package org.quorumfs.mediator;

import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.Wire;

/**
 * Hands out block versions unique across the cluster, reserving them from the meta-server in
 * batches so that a block write costs no extra round trip. Versions a crashed client had reserved
 * are simply never used.
 *
 * <p>A new version must also exceed the version it replaces, which another client may have taken
 * from a later batch: then this batch is abandoned for a fresh one, which is allocated after the
 * replaced version was and so is larger.
 */
final class VersionAllocator {
    private static final int BATCH = 1024;
    private final MetaService meta;
    private long next;
    private long end;

    VersionAllocator(MetaService meta) {
        this.meta = meta;
    }

    /** A version unique in the cluster and greater than {@code floor}. */
    synchronized long next(long floor) {
        if (next == end || next <= floor) {
            next = Wire.positiveLong(meta.allocateVersions(BATCH), "first version");
            end = next + BATCH;
        }
        return next++;
    }
}
