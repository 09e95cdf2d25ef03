package org.quorumfs.mediator;

import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.Wire;

/**
 * Hands out block versions unique across the cluster, reserving them from the meta-server in
 * batches so that a block write costs no extra round trip. Versions a crashed client had reserved
 * are simply never used.
 */
final class VersionAllocator {
    private static final int BATCH = 1024;
    private final MetaService meta;
    private long next;
    private long end;

    VersionAllocator(MetaService meta) {
        this.meta = meta;
    }

    synchronized long next() {
        if (next == end) {
            next = Wire.positiveLong(meta.allocateVersions(BATCH), "first version");
            end = next + BATCH;
        }
        return next++;
    }
}
