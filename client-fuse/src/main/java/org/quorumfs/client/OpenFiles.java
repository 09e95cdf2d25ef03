package org.quorumfs.client;

import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.mediator.Mediator;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/** File handles: numbers handed to the kernel, each naming the {@link OpenFile} of one inode. */
final class OpenFiles {
    private final Mediator mediator;
    private final WriteBackBudget budget;
    private final PieceCache pieces;
    private final AtomicLong nextHandle = new AtomicLong(1);
    private final Map<Long, OpenFile> byHandle = new ConcurrentHashMap<>();
    private final Map<Long, OpenFile> byInode = new HashMap<>();
    /** Background block writes and read-ahead of all open files. */
    private final ExecutorService io = Executors.newFixedThreadPool(16, r -> {
        Thread t = new Thread(r, "file-io");
        t.setDaemon(true);
        return t;
    });

    OpenFiles(Mediator mediator, long writeBackBytes, long readCacheBytes) {
        this.mediator = mediator;
        this.budget = new WriteBackBudget(writeBackBytes, mediator.blockSize());
        this.pieces = new PieceCache(readCacheBytes);
    }

    /**
     * A new handle on inode {@code ino} whose committed size is {@code size}; {@code createdEmpty}
     * when this mount just created it (then it is known to have no blocks).
     */
    long open(long ino, long size, boolean createdEmpty) {
        OpenFile file;
        synchronized (byInode) {
            OpenFile existing = byInode.get(ino);
            file = existing != null ? existing : new OpenFile(ino, size, createdEmpty, mediator, io, budget, pieces);
            byInode.put(ino, file);
            file.retain(existing != null);
        }
        long handle = nextHandle.getAndIncrement();
        byHandle.put(handle, file);
        return handle;
    }

    OpenFile get(long handle) {
        OpenFile f = byHandle.get(handle);
        if (f == null) {
            throw new FsException(ErrorCode.INVALID_ARGUMENT, "unknown file handle " + handle);
        }
        return f;
    }

    /** The open file of an inode, if this mount has one. */
    Optional<OpenFile> ofInode(long ino) {
        synchronized (byInode) {
            return Optional.ofNullable(byInode.get(ino));
        }
    }

    /** Drops a handle; the last handle of a file writes out what is still dirty. */
    void release(long handle) {
        OpenFile f = byHandle.remove(handle);
        if (f == null) {
            return;
        }
        boolean last;
        synchronized (byInode) {
            last = f.release();
        }
        if (!last) {
            return;
        }
        try {
            f.flush();
        } finally {
            synchronized (byInode) {
                if (f.idle()) {
                    byInode.remove(f.ino(), f);
                }
            }
        }
    }

    /** Writes out every open file (at unmount). */
    void flushAll() {
        byHandle.values().stream().distinct().forEach(OpenFile::flush);
    }
}
