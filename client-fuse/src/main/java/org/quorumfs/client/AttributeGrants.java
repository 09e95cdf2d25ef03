package org.quorumfs.client;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import jnr.ffi.Pointer;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Which of our attribute answers the kernel may keep, and taking them back. The mount says
 * attr_timeout=0, because high-level libfuse gives each name of a hard-linked file a kernel node
 * of its own, and a size or mode kept under one name goes stale when the file changes through
 * another. So the kernel asked again before every use: a stat was a lookup and a getattr, a small
 * file's read seven requests instead of five. Answers about a file with one name, or a directory,
 * may now be kept for {@link #KEPT}: {@link FuseSessionLoop} shows each answer to
 * {@link #reply} on its way to the kernel, which sets its validity and remembers the grant.
 *
 * <p>A grant is taken back (FUSE's notify_inval_inode) when this mount changes the inode (most
 * such changes also reach the kernel, which drops its copy itself; ours are the others: a write
 * committed at a close, a hard link's other names) and when an open finds another size than the
 * one granted: another mount wrote the file, and close-to-open says this open reads all of it.
 * An answer is not granted if anything was taken back while it was being made, since it may have
 * been read before that change; a take-back that misses a grant made meanwhile still reaches it,
 * as the kernel ignores an answer to a request sent before an invalidation. Another mount's
 * changes show here up to {@link #KEPT} later than without grants (after the second a memo may
 * answer, see {@link PathResolver#ATTRIBUTES_TTL}).
 */
final class AttributeGrants {
    /**
     * How long the kernel may keep an answer: the requests of one command (a stat, an open and
     * its reads) come within it. -Dquorumfs.attributesKeptMillis sets another; 0 keeps nothing.
     */
    static final Duration KEPT = Duration.ofMillis(Math.max(0, Long.getLong("quorumfs.attributesKeptMillis", 100)));
    /** Grants outstanding at most; more are not made (the kernel then asks, as without grants). */
    static final int MAX_GRANTS = 50_000;

    /** Opcodes of requests answered with attributes (fuse_kernel.h). */
    static final int LOOKUP = 1;
    static final int GETATTR = 3;
    static final int SETATTR = 4;
    static final int SYMLINK = 6;
    static final int MKNOD = 8;
    static final int MKDIR = 9;
    static final int LINK = 13;
    static final int CREATE = 35;

    /** struct fuse_attr: ino, size, ..., mode at 60, nlink at 64. */
    private static final int ATTR_SIZE = 8;
    private static final int ATTR_MODE = 60;
    private static final int ATTR_NLINK = 64;
    /** struct fuse_entry_out: nodeid, generation, entry_valid, attr_valid, their nsecs, then the attr. */
    private static final int ENTRY_ATTR_VALID = 24;
    private static final int ENTRY_ATTR_VALID_NSEC = 36;
    private static final int ENTRY_ATTR = 40;
    /** struct fuse_attr_out: attr_valid, its nsec, a dummy word, then the attr. */
    private static final int ATTR_OUT_VALID = 0;
    private static final int ATTR_OUT_VALID_NSEC = 8;
    private static final int ATTR_OUT_ATTR = 16;
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;

    /** The request a thread of the loop is serving. */
    private static final class Request {
        int opcode;
        long unique;
        long nodeid;
        long epoch;
    }

    /** A grant: the kernel node it went to, and the size it told. */
    private record Grant(long nodeid, long size) {
    }

    private final ThreadLocal<Request> serving = ThreadLocal.withInitial(Request::new);
    /** Bumped before every take-back: an answer made across one is not granted. */
    private final AtomicLong epoch = new AtomicLong();
    /** By inode; kept at least as long as the kernel keeps what was granted. */
    private final Cache<Long, Grant> granted = CacheBuilder.newBuilder()
            .expireAfterWrite(KEPT.multipliedBy(10).plusSeconds(1)).build();
    private volatile LongConsumer invalidate = nodeid -> { };

    /** Where taken-back grants go: the kernel's node {@code nodeid} is to ask for attributes again. */
    void invalidateWith(LongConsumer invalidate) {
        this.invalidate = invalidate;
    }

    /** A loop thread is about to serve the request with this header. */
    void serving(int opcode, long unique, long nodeid) {
        Request r = serving.get();
        r.opcode = opcode;
        r.unique = unique;
        r.nodeid = nodeid;
        r.epoch = epoch.get();
    }

    /**
     * An answer on its way to the kernel, as the iovec array libfuse writes ({@code count}
     * entries: the fuse_out_header, then the body): when it answers the request this thread
     * serves with the attributes of a file with one name, or of a directory, they may be kept.
     */
    void reply(Pointer iov, long count) {
        if (count < 2 || iov.getLong(8) < 16 || KEPT.isZero()) {
            return;
        }
        Pointer header = iov.getPointer(0);
        Request r = serving.get();
        long unique = header.getLong(8);
        if (header.getInt(4) != 0 || unique == 0 || unique != r.unique) {
            return; // an error, a notification, or not the request this thread serves
        }
        Pointer body = iov.getPointer(16);
        long length = iov.getLong(24);
        int attr;
        int valid;
        int validNsec;
        long nodeid;
        switch (r.opcode) {
            case GETATTR, SETATTR -> {
                attr = ATTR_OUT_ATTR;
                valid = ATTR_OUT_VALID;
                validNsec = ATTR_OUT_VALID_NSEC;
                nodeid = r.nodeid;
            }
            case LOOKUP, MKNOD, MKDIR, SYMLINK, LINK, CREATE -> {
                if (length < ENTRY_ATTR) {
                    return;
                }
                attr = ENTRY_ATTR;
                valid = ENTRY_ATTR_VALID;
                validNsec = ENTRY_ATTR_VALID_NSEC;
                nodeid = body.getLong(0);
            }
            default -> {
                return;
            }
        }
        if (length < attr + ATTR_NLINK + 4 || nodeid == 0 || body.getLong(valid) != 0 || body.getInt(validNsec) != 0) {
            return;
        }
        int mode = body.getInt(attr + ATTR_MODE);
        if ((mode & S_IFMT) != S_IFDIR && Integer.toUnsignedLong(body.getInt(attr + ATTR_NLINK)) > 1) {
            return; // a hard-linked file: asked for every time, as its other names do not see changes here
        }
        if (grant(body.getLong(attr), nodeid, body.getLong(attr + ATTR_SIZE), r.epoch)) {
            body.putLong(valid, KEPT.getSeconds());
            body.putInt(validNsec, KEPT.getNano());
        }
    }

    private boolean grant(long ino, long nodeid, long size, long epochAtRequest) {
        if (granted.size() >= MAX_GRANTS) {
            return false;
        }
        Grant g = new Grant(nodeid, size);
        Grant before = granted.asMap().put(ino, g);
        if (before != null && before.nodeid() != nodeid) {
            // Two kernel nodes for one inode (another mount linked it): keep neither.
            granted.asMap().remove(ino, g);
            invalidate.accept(before.nodeid());
            return false;
        }
        // Recorded first, checked second: a take-back either bumped the epoch before this check
        // (nothing granted) or finds the record (and takes it back).
        if (epoch.get() != epochAtRequest) {
            // The kernel may still keep the grant this one replaced: it stays on record.
            if (before != null) {
                granted.asMap().replace(ino, g, before);
            } else {
                granted.asMap().remove(ino, g);
            }
            return false;
        }
        return true;
    }

    /**
     * This mount changed these inodes, in the request this thread serves: what the kernel was
     * granted about them is taken back. The request's own answer, whose attributes are read after
     * its change, may still be kept if nothing else was taken back since the request began: else
     * a create, mkdir or truncate was never granted, and the kernel asked at once for what it had
     * just been told (the fstat after an open(O_CREAT): a GETATTR per file created).
     */
    void changed(Iterable<Long> inodes) {
        long now = epoch.incrementAndGet();
        for (Long ino : inodes) {
            Grant g = granted.asMap().remove(ino);
            if (g != null) {
                invalidate.accept(g.nodeid());
            }
        }
        Request r = serving.get();
        if (r.epoch == now - 1) {
            r.epoch = now; // only this bump since the request began: its answer may be kept
        }
    }

    /** An open found inode {@code ino} at {@code size}: a grant of another size is taken back. */
    void opened(long ino, long size) {
        epoch.incrementAndGet();
        Grant g = granted.getIfPresent(ino);
        if (g != null && g.size() != size && granted.asMap().remove(ino, g)) {
            invalidate.accept(g.nodeid());
        }
    }

    /** Grants outstanding (tests). */
    long outstanding() {
        granted.cleanUp();
        return granted.size();
    }
}
