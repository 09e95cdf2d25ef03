package org.quorumfs.dataserver;

import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.ReplicaInfo;
import org.quorumfs.dataserver.RecentDirectories.ReplicaKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Block replicas as plain files:
 * {@code blocks/<ino / 4096 as 12 hex>/<ino as 16 hex>.<index as 10 digits>.<version as 16 hex>}.
 * Names are formatted from numbers only, so no caller can name a path outside {@code blocks/}. A
 * put writes the whole replica to a temp file before it takes its name, so a killed server leaves
 * either the old state or the whole new replica, and temp files are swept at start-up. A put is
 * acknowledged once the replica and its name are durable: where an fsync of the file also makes
 * its name durable ({@link #FSYNC_KEEPS_THE_NAME}) a new replica is renamed, then fsynced, one
 * flush; elsewhere, and over a replica of the same name, it is fsynced, renamed, and the directory
 * fsynced. Inodes share a directory by the thousands, so storing a small file creates no directory
 * (a mkdir and an fsync of its parent per file, before); names sort as (ino, index, version), so
 * listing in that order is a walk of the directories in name order.
 */
final class ReplicaStore {
    private static final Logger log = LoggerFactory.getLogger(ReplicaStore.class);
    private static final String TEMP_SUFFIX = ".tmp";
    /**
     * Bytes per read or write call. The JDK copies a heap buffer through a temporary direct buffer
     * of the call's size and keeps it for the thread only up to jdk.nio.maxCachedBufferSize (256
     * KiB as the scripts start servers); a whole block per call meant a 1 MiB malloc and free per
     * put and get, which glibc kept resident across threads.
     */
    private static final int IO_CHUNK = 128 * 1024;
    /** Inodes per directory: 2^12. */
    private static final int BUCKET_SHIFT = 12;
    /** {@code <ino>.<index>.<version>}: 16 + 1 + 10 + 1 + 16 characters. */
    private static final int NAME_LENGTH = 44;

    /** Replicas remembered per recently used directory: ~70 bytes each, so at most ~2.3 MB. */
    private static final int REMEMBERED_REPLICAS = 32_768;

    private final Path root;
    /**
     * The filesystem under {@link #root}, found once: {@link Files#getFileStore} reads the mount
     * table each time (a ping took 250 us); its space figures are a statvfs of root per call.
     */
    private final FileStore disk;
    private final RecentDirectories recent = new RecentDirectories(REMEMBERED_REPLICAS);

    /**
     * Filesystems on which an fsync of a file renamed since its creation also makes the new name
     * durable: ext4 (with a journal the fsync commits the transaction holding the rename; without
     * one it writes the parent directory of an inode created since its last sync), XFS (the rename
     * logged the inode, and the fsync forces the log that far) and btrfs (its fsync logs the inode's
     * new names). There a new replica is renamed first and fsynced once, saving the directory's own
     * flush (one device flush of two per put). A power cut before that fsync returns may leave the
     * name on a torn replica of an unacknowledged put, which the MD5 every read checks rejects as it
     * would a corrupted one. Elsewhere POSIX's rule holds: the directory is fsynced after the rename.
     */
    private static final Set<String> FSYNC_KEEPS_THE_NAME = Set.of("ext4", "xfs", "btrfs");

    /** Whether {@link #root}'s filesystem is one of {@link #FSYNC_KEEPS_THE_NAME}. */
    private final boolean fsyncKeepsTheName;

    ReplicaStore(Path dataDir) throws IOException {
        root = dataDir.resolve("blocks").toAbsolutePath().normalize();
        Files.createDirectories(root);
        disk = Files.getFileStore(root);
        fsyncKeepsTheName = FSYNC_KEEPS_THE_NAME.contains(disk.type());
        sweepTempFiles();
        new LayoutMigration(this).run();
    }

    Path root() {
        return root;
    }

    /** Where replica (ino, index, version) lives; exposed for tests that damage replicas on disk. */
    Path replicaPath(long ino, int index, long version) {
        return confined(bucket(ino).resolve(replicaName(ino, index, version)));
    }

    void put(long ino, int index, long version, byte[] data) {
        Path target = replicaPath(ino, index, version);
        Path dir = target.getParent();
        Path temp = dir.resolve(target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + TEMP_SUFFIX);
        Path unfinished = temp; // what a failure removes: never a replica known to be durable
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                fsyncDirectory(root); // the new directory's own entry must survive a power cut too
            }
            boolean nameFirst = fsyncKeepsTheName && !Files.exists(target);
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (int off = 0; off < data.length; ) {
                    off += ch.write(ByteBuffer.wrap(data, off, Math.min(IO_CHUNK, data.length - off)));
                }
                if (nameFirst) {
                    rename(temp, target);
                    unfinished = target;
                }
                ch.force(true);
            }
            if (!nameFirst) {
                rename(temp, target);
                fsyncDirectory(dir);
            }
            recent.added(dir, new ReplicaKey(ino, index, version));
        } catch (IOException e) {
            deleteQuietly(unfinished);
            throw failure("put", e);
        }
    }

    private void rename(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("filesystem of " + root + " cannot rename atomically", e);
        }
    }

    Optional<byte[]> get(long ino, int index, long version) {
        return read(ino, index, version, 0, Integer.MAX_VALUE);
    }

    /** Up to {@code length} bytes of a replica from {@code offset}; empty if the replica is not held. */
    Optional<byte[]> read(long ino, int index, long version, int offset, int length) {
        try (FileChannel ch = FileChannel.open(replicaPath(ino, index, version), StandardOpenOption.READ)) {
            long size = ch.size();
            int n = (int) Math.max(0, Math.min(length, size - offset));
            byte[] out = new byte[n];
            int got = 0;
            while (got < n) {
                int r = ch.read(ByteBuffer.wrap(out, got, Math.min(IO_CHUNK, n - got)), offset + got);
                if (r < 0) {
                    break;
                }
                got += r;
            }
            return Optional.of(got == n ? out : java.util.Arrays.copyOf(out, got));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure("read", e);
        }
    }

    /** Deletes the replicas of block (ino, index) with version in [minVersion, maxVersion]. */
    int delete(long ino, int index, long minVersion, long maxVersion) {
        if (minVersion == maxVersion) {
            return deleteEach(ino, List.of(new ReplicaKey(ino, index, minVersion)), "delete");
        }
        return deleteRange(new ReplicaKey(ino, index, minVersion), new ReplicaKey(ino, index, maxVersion), "delete");
    }

    int deleteInode(long ino) {
        return deleteRange(new ReplicaKey(ino, 0, 0), new ReplicaKey(ino, Integer.MAX_VALUE, -1L), "delete inode");
    }

    private int deleteRange(ReplicaKey from, ReplicaKey to, String what) {
        try {
            return deleteEach(from.ino(), recent.range(bucket(from.ino()), from, to), what);
        } catch (IOException e) {
            throw failure(what, e);
        }
    }

    private int deleteEach(long ino, List<ReplicaKey> keys, String what) {
        Path dir = bucket(ino);
        int deleted = 0;
        try {
            for (ReplicaKey k : keys) {
                if (Files.deleteIfExists(replicaPath(k.ino(), k.index(), k.version()))) {
                    deleted++;
                }
                recent.removed(dir, k);
            }
        } catch (IOException e) {
            throw failure(what, e);
        }
        return deleted;
    }

    /** Replicas after (ino, index, version) in that order, at most {@code limit}. */
    List<ReplicaInfo> list(long afterIno, int afterIndex, long afterVersion, int limit) {
        List<ReplicaInfo> out = new ArrayList<>();
        try {
            for (long bucket : buckets()) {
                if (bucket < afterIno >>> BUCKET_SHIFT) {
                    continue;
                }
                TreeSet<String> names = new TreeSet<>();
                Path dir = root.resolve(bucketName(bucket));
                try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                    files.forEach(f -> names.add(f.getFileName().toString()));
                } catch (NoSuchFileException e) {
                    continue;
                }
                for (String name : names) {
                    ReplicaInfo r = parse(name);
                    if (r == null || r.ino() < afterIno || (r.ino() == afterIno && (r.index() < afterIndex
                            || (r.index() == afterIndex && r.version() <= afterVersion)))) {
                        continue;
                    }
                    java.nio.file.attribute.BasicFileAttributes a;
                    try {
                        a = Files.readAttributes(dir.resolve(name), java.nio.file.attribute.BasicFileAttributes.class);
                    } catch (NoSuchFileException deletedMeanwhile) {
                        continue;
                    }
                    out.add(new ReplicaInfo(r.ino(), r.index(), r.version(), a.size(), a.lastModifiedTime().toMillis()));
                    if (out.size() >= limit) {
                        return out;
                    }
                }
            }
        } catch (IOException e) {
            throw failure("list", e);
        }
        return out;
    }

    /** {replicas held, bytes they take}: walks the whole store (for status, not for every call). */
    long[] usage() {
        long count = 0;
        long bytes = 0;
        try {
            for (long bucket : buckets()) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(root.resolve(bucketName(bucket)))) {
                    for (Path f : files) {
                        if (parse(f.getFileName().toString()) != null) {
                            try {
                                bytes += Files.size(f);
                                count++;
                            } catch (NoSuchFileException deletedMeanwhile) {
                                // gone: not counted
                            }
                        }
                    }
                } catch (NoSuchFileException e) {
                    // bucket removed meanwhile
                }
            }
        } catch (IOException e) {
            throw failure("usage", e);
        }
        return new long[] {count, bytes};
    }

    long[] capacity() {
        try {
            return new long[] {disk.getTotalSpace(), disk.getUsableSpace()};
        } catch (IOException e) {
            throw failure("statfs", e);
        }
    }

    private TreeSet<Long> buckets() throws IOException {
        TreeSet<Long> buckets = new TreeSet<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path d : dirs) {
                String n = d.getFileName().toString();
                if (n.length() == 12) {
                    try {
                        buckets.add(Long.parseUnsignedLong(n, 16));
                    } catch (NumberFormatException e) {
                        // not ours: ignored
                    }
                }
            }
        }
        return buckets;
    }

    /** The replica a file name stands for, or null if the name is not one of ours. */
    static ReplicaInfo parse(String name) {
        if (name.length() != NAME_LENGTH || name.charAt(16) != '.' || name.charAt(27) != '.') {
            return null;
        }
        try {
            return new ReplicaInfo(Long.parseUnsignedLong(name.substring(0, 16), 16),
                    Integer.parseInt(name.substring(17, 27)), Long.parseUnsignedLong(name.substring(28), 16), 0, 0);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private Path bucket(long ino) {
        return confined(root.resolve(bucketName(ino >>> BUCKET_SHIFT)));
    }

    static String bucketName(long bucket) {
        String hex = Long.toHexString(bucket);
        return hex.length() >= 12 ? hex : "0".repeat(12 - hex.length()) + hex;
    }

    /**
     * {@code <ino>.<index>.<version>} as {@code %016x.%010d.%016x} would write it, without
     * java.util.Formatter: a put, get and delete each name a replica, and the formatter cost a data
     * server more than the rest of naming it (and the C2 compiler 0.3 s to compile).
     */
    static String replicaName(long ino, int index, long version) {
        if (index < 0) {
            throw FsException.invalid("negative block index " + index);
        }
        char[] name = new char[NAME_LENGTH];
        hex(name, 0, 16, ino);
        name[16] = '.';
        for (int i = 26, rest = index; i >= 17; i--, rest /= 10) {
            name[i] = (char) ('0' + rest % 10);
        }
        name[27] = '.';
        hex(name, 28, 16, version);
        return new String(name);
    }

    /** {@code value}'s low {@code digits} hex digits, lower case, zero-padded, into {@code out} at {@code at}. */
    private static void hex(char[] out, int at, int digits, long value) {
        for (int i = at + digits - 1; i >= at; i--, value >>>= 4) {
            out[i] = Character.forDigit((int) (value & 0xf), 16);
        }
    }

    /** Defence in depth: names are built from numbers, but every path is still checked. */
    private Path confined(Path p) {
        Path n = p.normalize();
        if (!n.startsWith(root)) {
            throw FsException.invalid("path escapes the block directory");
        }
        return n;
    }

    private void sweepTempFiles() throws IOException {
        try (var walk = Files.walk(root, 2)) {
            walk.filter(p -> p.getFileName().toString().endsWith(TEMP_SUFFIX)).forEach(p -> {
                log.info("removing unfinished replica {}", p);
                deleteQuietly(p);
            });
        }
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("cannot delete {}", p, e);
        }
    }

    private static FsException failure(String what, IOException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("No space left") || m.contains("Disk quota exceeded")) {
            return new FsException(ErrorCode.NO_SPACE, "data server disk full during " + what);
        }
        log.error("{} failed", what, e);
        return new FsException(ErrorCode.IO, what + " failed: " + e.getClass().getSimpleName() + ": " + m);
    }
}
