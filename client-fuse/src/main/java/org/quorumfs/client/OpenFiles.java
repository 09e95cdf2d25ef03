package org.quorumfs.client;

import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.OpenedFile;
import org.quorumfs.mediator.Mediator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * File handles: numbers handed to the kernel, each naming the {@link OpenFile} of one inode and
 * whether it was opened for writing. A number never named a handle, or names one already released,
 * is {@link ErrorCode#BAD_HANDLE} (EBADF). Every inode with an open handle is held open in this
 * mount's {@link MountSession}, so that an unlink anywhere leaves its data until the last close.
 */
final class OpenFiles {
    private static final Logger log = LoggerFactory.getLogger(OpenFiles.class);

    /** One open of a file. */
    record Handle(long id, OpenFile file, boolean writable) {
    }

    private final Mediator mediator;
    private final WriteBackBudget budget;
    private final PieceCache pieces;
    private final LongConsumer committed;
    private final MountSession session;
    private final AtomicLong nextHandle = new AtomicLong(OpenFile.NO_HANDLE + 1);
    private final Map<Long, Handle> byHandle = new ConcurrentHashMap<>();
    private final Map<Long, OpenFile> byInode = new HashMap<>();
    /** Background block writes and read-ahead of all open files. */
    private final ExecutorService io = Executors.newFixedThreadPool(16, r -> {
        Thread t = new Thread(r, "file-io");
        t.setDaemon(true);
        return t;
    });

    /**
     * {@code committed} hears of each block of an open file committed at the meta-server (its
     * size and times there moved), from the thread that committed it.
     */
    OpenFiles(Mediator mediator, long writeBackBytes, long readCacheBytes, LongConsumer committed) {
        this.mediator = mediator;
        this.committed = committed;
        this.budget = new WriteBackBudget(writeBackBytes, mediator.blockSize());
        this.pieces = new PieceCache(readCacheBytes);
        this.session = new MountSession(mediator, this::openInodes);
    }

    /**
     * A new handle on existing inode {@code ino}. The first handle of an inode holds it open at the
     * meta-server, which answers its size and first blocks (so the open costs the round trip a
     * first read would have cost anyway).
     */
    long open(long ino, boolean writable, Optional<BlockRecord> smallFileGuess) {
        Long attached = null;
        synchronized (byInode) {
            OpenFile f = byInode.get(ino);
            if (f != null) {
                attached = attach(f, writable);
            }
        }
        if (attached != null) {
            return settled(attached);
        }
        // A small file's block, as a listing answered it, is read while the open is on the way.
        Mediator.EarlyRead early = smallFileGuess.map(g -> mediator.readEarly(ino, g)).orElse(null);
        OpenedFile o = session.open(ino);
        return settled(install(ino, o.attributes().size(), false, o.blocks(), writable, early));
    }

    /** A new handle on an inode this mount just created with {@link #create}: it has no blocks. */
    long openCreated(long ino, boolean writable) {
        return settled(install(ino, 0, true, List.of(), writable, null));
    }

    /**
     * {@code handle}, once no page fill of its file offered before this open is still on its way
     * to the kernel, which drops the file's pages at an open ({@link KernelPages}).
     */
    private long settled(long handle) {
        get(handle).file().awaitFills();
        return handle;
    }

    /** Creates a regular file held open by this mount; open it with {@link #openCreated}. */
    org.quorumfs.common.protocol.NewEntry create(long parent, String name, int mode, int uid, int gid) {
        return session.create(parent, name, mode, uid, gid);
    }

    private long install(long ino, long size, boolean createdEmpty, List<BlockStatus> blocks, boolean writable,
                         Mediator.EarlyRead early) {
        synchronized (byInode) {
            OpenFile f = byInode.get(ino);
            if (f != null) {
                session.close(ino); // opened here meanwhile: one hold per inode
            } else {
                f = new OpenFile(ino, size, createdEmpty, mediator, io, budget, pieces, committed);
                if (!createdEmpty) {
                    f.knowFirstBlocks(blocks, early);
                }
                byInode.put(ino, f);
            }
            return attach(f, writable);
        }
    }

    /** Called holding the byInode lock. */
    private long attach(OpenFile f, boolean writable) {
        long handle = nextHandle.getAndIncrement();
        f.retain(handle, writable);
        byHandle.put(handle, new Handle(handle, f, writable));
        return handle;
    }

    Handle get(long handle) {
        Handle h = byHandle.get(handle);
        if (h == null) {
            throw new FsException(ErrorCode.BAD_HANDLE, "unknown file handle " + handle);
        }
        return h;
    }

    /** The open file of an inode, if this mount has one. */
    Optional<OpenFile> ofInode(long ino) {
        synchronized (byInode) {
            return Optional.ofNullable(byInode.get(ino));
        }
    }

    /** Drops a handle; the last handle of a file writes out what is still buffered. */
    void release(long handle) {
        Handle h = byHandle.remove(handle);
        if (h == null) {
            return;
        }
        OpenFile f = h.file();
        try {
            f.release(handle);
        } finally {
            synchronized (byInode) {
                if (f.idle() && byInode.remove(f.ino(), f)) {
                    session.close(f.ino());
                }
            }
        }
    }

    private Collection<Long> openInodes() {
        synchronized (byInode) {
            return List.copyOf(byInode.keySet());
        }
    }

    /** Ends this mount's session (at unmount, after {@link #flushAll}): its holds are dropped. */
    void close() {
        session.close();
    }

    /** Writes out every open file (at unmount). */
    void flushAll() {
        byHandle.values().stream().map(Handle::file).distinct().forEach(f -> {
            try {
                f.flush(OpenFile.NO_HANDLE);
            } catch (RuntimeException e) {
                log.error("inode {}: writing out at unmount failed", f.ino(), e);
            }
        });
    }
}
