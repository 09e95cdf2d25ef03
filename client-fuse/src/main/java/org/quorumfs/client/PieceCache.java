package org.quorumfs.client;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;

/**
 * Verified pieces of blocks that reads fetched, mount-wide, bounded in bytes (least recently used
 * go first). A key names the block version, so a piece can never be served for a newer write: the
 * block map, renewed at every open, names the version a read wants. A random reader of a file gets
 * the neighbouring 4 KiB reads of a 64 KiB piece without asking the data servers again.
 */
final class PieceCache {
    private record Key(long ino, int index, long version, int piece) {
    }

    private final Cache<Key, byte[]> pieces;

    PieceCache(long maxBytes) {
        // One segment: Guava splits the bound among its segments (four by default) and evicts per
        // segment, so a file as large as the cache did not fit (a 64 MiB file read at random
        // through a 64 MiB cache: 1,192 piece fetches for its 1,024 pieces).
        pieces = CacheBuilder.newBuilder()
                .concurrencyLevel(1)
                .maximumWeight(maxBytes)
                .<Key, byte[]>weigher((k, v) -> v.length + 64)
                .build();
    }

    byte[] get(long ino, int index, long version, int piece) {
        return pieces.getIfPresent(new Key(ino, index, version, piece));
    }

    void put(long ino, int index, long version, int piece, byte[] data) {
        pieces.put(new Key(ino, index, version, piece), data);
    }
}
