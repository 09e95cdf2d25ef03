package org.quorumfs.metaserver;

import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Group commit for the store's write-ahead log. SQLite commits without waiting for the disk
 * ({@code synchronous=NORMAL}: the frames are written to the WAL file, which survives a kill -9 of
 * the meta-server); a call is answered only once an fsync of the WAL begun after its commit has
 * returned. Commits that end while one fsync runs share the next one, so concurrent clients no
 * longer pay one disk flush each in turn, and nobody waits for a flush while holding the store.
 */
final class WalSync {
    /** An fsync of the log; a test counts and holds them. */
    interface Flush {
        void run() throws IOException;
    }

    private final Path wal;
    private final Flush flush;
    /** Commits numbered in order; a commit's frames are in the file before it is counted. */
    private final AtomicLong committed = new AtomicLong();
    /** Every commit up to this number is on stable storage. */
    private volatile long synced;
    private final Object flushing = new Object();
    private FileChannel channel;
    private Object channelFile;

    WalSync(Path wal) {
        this.wal = wal;
        this.flush = this::force;
    }

    /** With {@code flush} in place of the fsync of a file (tests). */
    WalSync(Path name, Flush flush) {
        this.wal = name;
        this.flush = flush;
    }

    /** Counts a commit that wrote (called by the committer, right after SQLite's commit returned). */
    long committed() {
        return committed.incrementAndGet();
    }

    /** The number of the last commit counted: what anything read now may depend on. */
    long lastCommitted() {
        return committed.get();
    }

    /** Returns once commit {@code n} and every one before it are on stable storage. */
    void await(long n) {
        if (synced >= n) {
            return;
        }
        synchronized (flushing) {
            if (synced >= n) {
                return; // the flush that just ended covered it
            }
            long covered = committed.get(); // counted commits have written their frames
            try {
                flush.run();
            } catch (IOException e) {
                throw new FsException(ErrorCode.IO, "meta-server store failed: fsync of " + wal + ": " + e.getMessage());
            }
            synced = covered;
        }
    }

    /** fsyncs the WAL file SQLite writes, opened anew if SQLite made a new one. */
    private void force() throws IOException {
        Object file;
        try {
            file = Files.readAttributes(wal, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            throw new IOException("the write-ahead log is missing", e);
        }
        if (channel == null || !file.equals(channelFile)) {
            close();
            channel = FileChannel.open(wal, StandardOpenOption.READ);
            channelFile = file;
        }
        channel.force(false);
    }

    void close() throws IOException {
        synchronized (flushing) {
            if (channel != null) {
                channel.close();
                channel = null;
            }
        }
    }
}
