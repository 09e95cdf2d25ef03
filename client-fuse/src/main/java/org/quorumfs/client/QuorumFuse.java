package org.quorumfs.client;

import jnr.constants.platform.Errno;
import jnr.ffi.Pointer;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import org.quorumfs.common.protocol.AttributeChanges;
import org.quorumfs.common.protocol.Attributes;
import org.quorumfs.common.protocol.FileType;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.ListedEntry;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.NewEntry;
import org.quorumfs.mediator.Mediator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.IntSupplier;
import java.util.function.ToIntFunction;

/**
 * The FUSE face of QuorumFS: each callback resolves paths, calls the mediator and returns 0, a
 * byte count or a negative errno. Every callback is a guarded boundary: an exception thrown out of
 * one would be swallowed by the native layer and hand the kernel garbage, so {@link #guard} turns
 * QuorumFS errors into their errno and anything unexpected into a logged EIO.
 */
final class QuorumFuse extends FuseStubFS {
    private static final Logger log = LoggerFactory.getLogger(QuorumFuse.class);
    /** O_EXCL on Linux. */
    private static final int O_EXCL = 0200;
    private static final int O_ACCMODE = 03;
    private static final int O_TRUNC = 01000;
    /** The kernel's __FMODE_EXEC, in the flags of the open that execve makes. */
    private static final int FMODE_EXEC = 040;
    private static final long UTIME_NOW = (1L << 30) - 1;
    private static final long UTIME_OMIT = (1L << 30) - 2;
    private static final long UNCHANGED_ID = 0xFFFFFFFFL;

    private final Mediator mediator;
    private final PathResolver paths;
    private final OpenFiles files;
    private final Permissions perms;
    private final AttributeGrants grants = new AttributeGrants();
    private final KernelPages kernelPages = new KernelPages();
    private final ReadOnlyOpens readOnlyOpens = new ReadOnlyOpens();
    private final SuidKills suidKills = new SuidKills();

    QuorumFuse(Mediator mediator, Duration entryTtl, long writeBackBytes, long readCacheBytes) {
        this.mediator = mediator;
        this.paths = new PathResolver(mediator, entryTtl);
        this.files = new OpenFiles(mediator, writeBackBytes, readCacheBytes, paths::committed);
        this.perms = new Permissions(paths);
        setOperationFlags();
    }

    /** Bits of libfuse 2.9's fuse_operations flags word (an unsigned int bitfield after bmap). */
    private static final int FLAG_NULLPATH_OK = 1;
    private static final int FLAG_UTIME_OMIT_OK = 1 << 2;

    /**
     * jnr-fuse declares the flags bitfield as separate bytes and never sets it, so it is set here,
     * in the struct's memory before the mount: nullpath_ok lets calls on a handle reach us when
     * libfuse has no path for it; utime_omit_ok passes UTIME_OMIT and UTIME_NOW through to
     * {@link #utimens}, so that setting one time leaves the other exactly as it was.
     */
    private void setOperationFlags() {
        Pointer ops = jnr.ffi.Struct.getMemory(fuseOperations);
        long at;
        try {
            // The member's type is a protected class of jnr's Struct: only reflection reaches its offset.
            Object member = fuseOperations.getClass().getField("flag_nullpath_ok").get(fuseOperations);
            var offset = Class.forName("jnr.ffi.Struct$AbstractMember").getDeclaredMethod("offset");
            offset.setAccessible(true);
            at = (long) offset.invoke(member);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot find the flags of jnr-fuse's operations struct", e);
        }
        ops.putByte(at, (byte) (ops.getByte(at) | FLAG_NULLPATH_OK | FLAG_UTIME_OMIT_OK));
    }

    /** Calls on a handle: they do not look their path up, so a STALE answer is not retried. */
    private static final java.util.Set<String> ON_HANDLES = java.util.Set.of(
            "read", "write", "flush", "release", "ftruncate", "fgetattr");

    /**
     * Runs a FUSE call, turning failures into errnos. A path call answered STALE (an inode
     * remembered for the path is gone: another mount removed it within the second memos last, and
     * maybe made a new one under the same name) forgets what it remembered and runs once more.
     */
    private int guard(String op, String path, IntSupplier body) {
        return run(op, path, body, path != null && !ON_HANDLES.contains(op));
    }

    private int run(String op, String path, IntSupplier body, boolean mayLookAgain) {
        try {
            return body.getAsInt();
        } catch (Permissions.Denied d) {
            log.debug("{} {}: {} ({})", op, path, d.errno, d.getMessage());
            return -d.errno.intValue();
        } catch (FsException e) {
            if (mayLookAgain && e.code() == org.quorumfs.common.protocol.ErrorCode.STALE && paths.forgetRemembered(path)) {
                log.debug("{} {}: {}; looking the path up again", op, path, e.getMessage());
                return run(op, path, body, false);
            }
            return failed(op, path, e);
        } catch (Throwable t) {
            log.error("{} {} failed unexpectedly", op, path, t);
            return ErrnoTable.negative(Errno.EIO);
        }
    }

    private static int failed(String op, String path, FsException e) {
        if (e.code() == org.quorumfs.common.protocol.ErrorCode.IO
                || e.code() == org.quorumfs.common.protocol.ErrorCode.INTERNAL) {
            log.warn("{} {}: {}", op, path, e.getMessage());
        } else {
            log.debug("{} {}: {}", op, path, e.getMessage());
        }
        return ErrnoTable.negative(e.code());
    }

    /** {@link #guard} for a callback that changes something: remembered attributes are dropped. */
    private int change(String op, String path, IntSupplier body) {
        return change(op, path, c -> body.getAsInt());
    }

    /** {@link #change}, for a body that tells the changed path's new attributes to {@code c}. */
    private int change(String op, String path, ToIntFunction<PathResolver.Change> body) {
        PathResolver.Change c = paths.begin();
        try {
            return guard(op, path, () -> body.applyAsInt(c));
        } finally {
            paths.end(c);
            grants.changed(c.inodes());
        }
    }

    private static boolean writable(FuseFileInfo fi) {
        return (fi.flags.get() & O_ACCMODE) != 0; // O_WRONLY or O_RDWR
    }

    private int uid() {
        return (int) getContext().uid.get();
    }

    private int gid() {
        return (int) getContext().gid.get();
    }

    private Permissions.Caller caller() {
        var c = getContext();
        return new Permissions.Caller((int) c.uid.get(), (int) c.gid.get(), c.pid.get());
    }

    /** The attributes of what {@code path} names, once {@code who} may search every directory above it. */
    private Attributes reach(Permissions.Caller who, String path) {
        perms.search(who, path);
        return paths.attributes(path);
    }

    /** What an open with {@code flags} asks of the file: read, write, or execute (execve's open). */
    private static int accessMask(int flags) {
        int mask = switch (flags & O_ACCMODE) {
            case 0 -> Permissions.READ;
            case 1 -> Permissions.WRITE;
            default -> Permissions.READ | Permissions.WRITE;
        };
        if ((flags & O_TRUNC) != 0) {
            mask |= Permissions.WRITE;
        }
        return (flags & FMODE_EXEC) != 0 ? Permissions.EXEC : mask;
    }

    private void fill(FileStat stat, Attributes a) {
        long size = a.size();
        if (!a.isDirectory()) {
            size = Math.max(size, files.ofInode(a.ino()).map(OpenFile::size).orElse(0L));
        }
        stat.st_ino.set(a.ino());
        stat.st_mode.set(a.mode());
        stat.st_rdev.set(a.rdev());
        stat.st_nlink.set(a.nlink());
        stat.st_uid.set(a.uid());
        stat.st_gid.set(a.gid());
        stat.st_size.set(size);
        stat.st_blksize.set(mediator.blockSize());
        stat.st_blocks.set((size + 511) / 512);
        stat.st_atim.tv_sec.set(a.atimeNs() / 1_000_000_000L);
        stat.st_atim.tv_nsec.set(a.atimeNs() % 1_000_000_000L);
        stat.st_mtim.tv_sec.set(a.mtimeNs() / 1_000_000_000L);
        stat.st_mtim.tv_nsec.set(a.mtimeNs() % 1_000_000_000L);
        stat.st_ctim.tv_sec.set(a.ctimeNs() / 1_000_000_000L);
        stat.st_ctim.tv_nsec.set(a.ctimeNs() % 1_000_000_000L);
    }

    @Override
    public int getattr(String path, FileStat stat) {
        return guard("getattr", path, () -> {
            perms.search(caller(), path);
            fill(stat, paths.attributes(path));
            return 0;
        });
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        return guard("fgetattr", path, () -> {
            long ino = files.get(fi.fh.get()).file().ino();
            var remembered = path == null ? java.util.Optional.<Attributes>empty() : paths.remembered(path);
            fill(stat, remembered.filter(a -> a.ino() == ino).orElseGet(() -> mediator.getattr(ino)));
            return 0;
        });
    }

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        return guard("readlink", path, () -> {
            perms.search(caller(), path);
            byte[] target = mediator.readlink(paths.inode(path)).getBytes(StandardCharsets.UTF_8);
            int n = (int) Math.min(target.length, size - 1);
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
            return 0;
        });
    }

    @Override
    public int mknod(String path, @mode_t long mode, long rdev) {
        return change("mknod", path, c -> {
            perms.mayCreate(caller(), path);
            PathResolver.Entry e = paths.entry(path);
            c.created(path, mediator.mknod(e.parent(), e.name(), (int) mode, uid(), gid(), rdev));
            return 0;
        });
    }

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return change("create", path, c -> {
            Permissions.Caller who = caller();
            perms.mayCreate(who, path);
            PathResolver.Entry e = paths.entry(path);
            Attributes a;
            try {
                NewEntry made = files.create(e.parent(), e.name(), (int) mode & FileType.PERMISSION_MASK, uid(), gid());
                fi.fh.set(files.openCreated(made.attributes().ino(), writable(fi)));
                files.get(fi.fh.get()).file().knowMode(made.attributes().mode());
                c.created(path, made);
                return 0;
            } catch (FsException ex) {
                // Another mount created it since the kernel looked: without O_EXCL, open it.
                if (ex.code() != org.quorumfs.common.protocol.ErrorCode.EXISTS || (fi.flags.get() & O_EXCL) != 0) {
                    throw ex;
                }
                a = mediator.lookup(e.parent(), e.name());
                if (a.isDirectory()) {
                    return ErrnoTable.negative(Errno.EISDIR);
                }
                perms.check(who, a, accessMask(fi.flags.get()), path);
                fi.fh.set(files.open(a.ino(), writable(fi), Optional.empty()));
                files.get(fi.fh.get()).file().knowMode(a.mode());
                if ((fi.flags.get() & O_TRUNC) != 0) {
                    // The kernel took the name for absent, so it sends no truncate of its own.
                    OpenFiles.Handle h = files.get(fi.fh.get());
                    c.changedInode(a.ino());
                    try {
                        h.file().truncate(h.id(), 0);
                    } catch (RuntimeException failed) {
                        try {
                            files.release(fi.fh.get()); // the create fails: the kernel will never release it
                        } catch (RuntimeException alsoFailed) {
                            failed.addSuppressed(alsoFailed);
                        }
                        throw failed;
                    }
                    return 0;
                }
            }
            c.result(path, a);
            return 0;
        });
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        return guard("open", path, () -> {
            Permissions.Caller who = caller();
            Attributes a = reach(who, path);
            if (a.isDirectory()) {
                return ErrnoTable.negative(Errno.EISDIR);
            }
            perms.check(who, a, accessMask(fi.flags.get()), path);
            boolean writable = writable(fi);
            long fh = files.open(a.ino(), writable, writable ? Optional.empty() : paths.listedSmallFile(path));
            fi.fh.set(fh);
            files.get(fh).file().knowMode(a.mode());
            long size = files.get(fh).file().size();
            if (size != a.size()) {
                paths.forgetAttributes(path); // changed elsewhere since remembered: the stat after the close asks
            }
            grants.opened(a.ino(), size);
            return 0;
        });
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        kernelPages.read();
        int n = guard("read", path, () -> files.get(fi.fh.get()).file().read(offset, buf, (int) size, kernelPages));
        kernelPages.storeOffered();
        return n;
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return change("write", path, c -> {
            // The handle's own access mode: the flags of a write the kernel makes from a shared
            // mapping's dirty pages (writepage) are not the open's.
            OpenFiles.Handle h = files.get(fi.fh.get());
            c.wroteInode(h.file().ino());
            if (!h.writable()) {
                return ErrnoTable.negative(Errno.EBADF);
            }
            if (suidKills.requested() && dropSetIdBits(h.file())) {
                c.changedInode(h.file().ino());
            }
            return h.file().write(h.id(), offset, buf, (int) size);
        });
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        if (!unsettled(fi)) {
            return guard("flush", path, () -> {
                OpenFiles.Handle h = files.get(fi.fh.get());
                h.file().flush(h.id()); // nothing to write; a failure of an earlier write is told
                return 0;
            });
        }
        return change("flush", path, c -> {
            OpenFiles.Handle h = files.get(fi.fh.get());
            c.changedInode(h.file().ino());
            Optional<Attributes> after = h.file().flushAndTell(h.id());
            if (path != null) {
                // The stat that follows a close (cp, unzip, git) is answered without asking.
                after.ifPresent(a -> c.result(path, a));
            }
            return 0;
        });
    }

    /**
     * Whether bytes written through this handle's file are buffered, on their way, or committed
     * since a flush last told the mount: then a flush or release changes size and times; otherwise
     * (a read, a touch, a close after a flush) it changes nothing.
     */
    private boolean unsettled(FuseFileInfo fi) {
        try {
            return files.get(fi.fh.get()).file().unsettled();
        } catch (FsException unknownHandle) {
            return true;
        }
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return flush(path, fi);
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        IntSupplier body = () -> {
            files.release(fi.fh.get());
            return 0;
        };
        return unsettled(fi) ? change("release", path, c -> {
            c.changedInode(files.get(fi.fh.get()).file().ino());
            return body.getAsInt();
        }) : guard("release", path, body);
    }

    @Override
    public int truncate(String path, @off_t long size) {
        return change("truncate", path, c -> {
            Permissions.Caller who = caller();
            Attributes a = reach(who, path);
            if (a.isDirectory()) {
                return ErrnoTable.negative(Errno.EISDIR);
            }
            perms.check(who, a, Permissions.WRITE, path);
            c.changedInode(a.ino());
            if (suidKills.requested()) {
                dropSetIdBits(a);
            }
            var open = files.ofInode(a.ino());
            if (open.isPresent()) {
                open.get().truncate(OpenFile.NO_HANDLE, size);
            } else {
                c.result(path, mediator.truncate(a.ino(), size));
            }
            return 0;
        });
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return change("ftruncate", path, c -> {
            OpenFiles.Handle h = files.get(fi.fh.get());
            c.changedInode(h.file().ino());
            if (suidKills.requested()) {
                dropSetIdBits(h.file());
            }
            h.file().truncate(h.id(), size);
            return 0;
        });
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return change("mkdir", path, c -> {
            perms.mayCreate(caller(), path);
            PathResolver.Entry e = paths.entry(path);
            NewEntry made = mediator.mkdir(e.parent(), e.name(), (int) mode & FileType.PERMISSION_MASK, uid(), gid());
            paths.rememberDirectory(path, made.attributes().ino());
            c.created(path, made);
            return 0;
        });
    }

    @Override
    public int unlink(String path) {
        return change("unlink", path, c -> {
            if (paths.unhide(path)) {
                return 0; // the last close of a hidden file: the session's hold, dropped then, frees it
            }
            perms.mayDelete(caller(), path);
            PathResolver.Entry e = paths.entry(path);
            c.removed(path, mediator.unlink(e.parent(), e.name()));
            return 0;
        });
    }

    @Override
    public int rmdir(String path) {
        return change("rmdir", path, c -> {
            perms.mayDelete(caller(), path);
            PathResolver.Entry e = paths.entry(path);
            c.removed(path, mediator.rmdir(e.parent(), e.name()));
            paths.forget(path);
            return 0;
        });
    }

    @Override
    public int symlink(String target, String linkPath) {
        return change("symlink", linkPath, c -> {
            perms.mayCreate(caller(), linkPath);
            PathResolver.Entry e = paths.entry(linkPath);
            c.created(linkPath, mediator.symlink(e.parent(), e.name(), target, uid(), gid()));
            return 0;
        });
    }

    @Override
    public int rename(String from, String to) {
        return change("rename", from, () -> {
            Permissions.Caller who = caller();
            perms.mayDelete(who, from);
            PathResolver.Entry src = paths.entry(from);
            if (PathResolver.isHiding(to)) {
                Attributes a = paths.attributes(from);
                if (files.ofInode(a.ino()).isPresent()) {
                    // libfuse hides a file open here that is being unlinked or renamed over: it is
                    // unlinked for real (the session's hold keeps it) and reached by the hidden name.
                    mediator.unlink(src.parent(), src.name());
                    paths.hide(to, a.ino());
                    paths.forget(from);
                    return 0;
                }
            }
            mayRenameOnto(who, from, to);
            PathResolver.Entry dst = paths.entry(to);
            mediator.rename(src.parent(), src.name(), dst.parent(), dst.name());
            paths.forget(from);
            paths.forget(to);
            return 0;
        });
    }

    /**
     * The rest of a rename's checks: the target's directory takes a new entry, an existing target
     * is removed (sticky directories), and a directory moved elsewhere has its ".." rewritten.
     */
    private void mayRenameOnto(Permissions.Caller who, String from, String to) {
        if (who.root()) {
            return;
        }
        boolean targetExists;
        try {
            paths.attributes(to);
            targetExists = true;
        } catch (FsException e) {
            if (e.code() != org.quorumfs.common.protocol.ErrorCode.NOT_FOUND) {
                throw e;
            }
            targetExists = false;
        }
        if (targetExists) {
            perms.mayDelete(who, to);
        } else {
            perms.mayCreate(who, to);
        }
        Attributes moved = paths.attributes(from);
        if (moved.isDirectory() && !PathResolver.parentOf(from).equals(PathResolver.parentOf(to))) {
            perms.check(who, moved, Permissions.WRITE, from);
        }
    }

    @Override
    public int link(String existing, String newPath) {
        return change("link", newPath, c -> {
            Permissions.Caller who = caller();
            perms.search(who, existing);
            perms.mayCreate(who, newPath);
            long ino = paths.inode(existing);
            PathResolver.Entry e = paths.entry(newPath);
            c.created(newPath, mediator.link(ino, e.parent(), e.name()));
            return 0;
        });
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        return change("chmod", path, c -> {
            Permissions.Caller who = caller();
            Attributes a = reach(who, path);
            perms.mustOwn(who, a, path);
            int newMode = (int) mode;
            if (!who.root() && !perms.inGroup(who, a.gid())) {
                newMode &= ~Permissions.S_ISGID; // as Linux: set-group-ID only for a group one is in
            }
            long ino = a.ino();
            if (changesNothingBeforeACommit(a, newMode)) {
                c.changedNothing();
                return 0;
            }
            c.changedInode(ino);
            told(c, path, mediator.setattr(ino, AttributeChanges.none().withMode(newMode)));
            return 0;
        });
    }

    /**
     * Whether a chmod to {@code mode} of the file whose attributes this mount has as {@code a}
     * would only set its ctime, which a commit of this mount's buffered writes to it sets anyway:
     * the mode is the one {@code a} says (at most {@link PathResolver#ATTRIBUTES_TTL} old, as any
     * attribute answered here) and the one this mount last saw on the open file (its create or
     * open here, or its own chmod), and writes wait to be committed. {@code unzip}, {@code tar}
     * and {@code cp -p} set the mode a file was created with, before closing it: one fsync'd call
     * per file fewer.
     */
    private boolean changesNothingBeforeACommit(Attributes a, int mode) {
        return (a.mode() & FileType.PERMISSION_MASK) == (mode & FileType.PERMISSION_MASK)
                && files.ofInode(a.ino()).filter(f -> f.knownMode() == a.mode() && f.commitAhead()).isPresent();
    }

    @Override
    public int chown(String path, long uid, long gid) {
        return change("chown", path, c -> {
            int u = (uid & UNCHANGED_ID) == UNCHANGED_ID ? -1 : (int) uid;
            int g = (gid & UNCHANGED_ID) == UNCHANGED_ID ? -1 : (int) gid;
            Permissions.Caller who = caller();
            Attributes a = reach(who, path);
            // As Linux's chown_ok and chgrp_ok: only root gives a file away; its owner may set the
            // owner it already has and a group it is in (or the file's own).
            if (!who.root() && (u != -1 || g != -1) && (who.uid() != a.uid() || (u != -1 && u != a.uid())
                    || (g != -1 && g != a.gid() && !perms.inGroup(who, g)))) {
                return ErrnoTable.negative(Errno.EPERM);
            }
            long ino = a.ino();
            c.changedInode(ino);
            AttributeChanges changes = AttributeChanges.none().withOwner(u, g);
            if (suidKills.requested() && !a.isDirectory()) {
                // The kernel asks this of every chown of a file, and judges by the group it had.
                int mode = SuidKills.killed(a.mode(), who.root() || perms.inGroup(who, a.gid()));
                if (mode != a.mode()) {
                    changes = changes.withMode(mode);
                }
            }
            told(c, path, mediator.setattr(ino, changes));
            return 0;
        });
    }

    /** A setattr's answer: to the memo, and its mode to the file if open here ({@link #seen}). */
    private void told(PathResolver.Change c, String path, Attributes after) {
        c.result(path, after);
        seen(after);
    }

    /** The mode {@link SuidKills} goes by for a file this mount has open. */
    private void seen(Attributes a) {
        files.ofInode(a.ino()).ifPresent(f -> f.knowMode(a.mode()));
    }

    /**
     * A write or truncate the kernel sent with FUSE_WRITE_KILL_SUIDGID or FATTR_KILL_SUIDGID
     * ({@link SuidKills}): the open file's set-ID bits cleared first, as the kernel's own rules
     * would. A file this mount last saw without them costs nothing (no call: a write needs no
     * meta-server until its commit); else its mode is fetched and the bits cleared.
     */
    private boolean dropSetIdBits(OpenFile f) {
        int known = f.knownMode();
        return (known == -1 || SuidKills.carriesSetId(known)) && dropSetIdBits(mediator.getattr(f.ino()));
    }

    /**
     * Whether the mode changed. The answer is not remembered for the path: the write or truncate
     * that follows changes the file again (the change's {@code changedInode} voids what was
     * remembered of it).
     */
    private boolean dropSetIdBits(Attributes a) {
        Permissions.Caller who = caller();
        int mode = SuidKills.killed(a.mode(), who.root() || perms.inGroup(who, a.gid()));
        seen(mode == a.mode() ? a : mediator.setattr(a.ino(), AttributeChanges.none().withMode(mode)));
        return mode != a.mode();
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return change("utimens", path, c -> {
            Permissions.Caller who = caller();
            Attributes a = reach(who, path);
            if (!who.root() && who.uid() != a.uid()) {
                // "Now" for both needs write permission; any other time needs ownership.
                boolean toNow = timespec[0].tv_nsec.longValue() == UTIME_NOW && timespec[1].tv_nsec.longValue() == UTIME_NOW;
                if (!toNow) {
                    return ErrnoTable.negative(Errno.EPERM);
                }
                perms.check(who, a, Permissions.WRITE, path);
            }
            long ino = a.ino();
            c.changedInode(ino);
            c.result(path, mediator.setattr(ino, AttributeChanges.none().withTimes(time(timespec[0]), time(timespec[1]))));
            return 0;
        });
    }

    private static OptionalLong time(Timespec t) {
        long nsec = t.tv_nsec.longValue();
        if (nsec == UTIME_OMIT) {
            return OptionalLong.empty();
        }
        if (nsec == UTIME_NOW) {
            java.time.Instant now = java.time.Instant.now();
            return OptionalLong.of(now.getEpochSecond() * 1_000_000_000L + now.getNano());
        }
        return OptionalLong.of(t.tv_sec.get() * 1_000_000_000L + nsec);
    }

    @Override
    public int access(String path, int mask) {
        return guard("access", path, () -> {
            Permissions.Caller who = caller();
            perms.check(who, reach(who, path), mask & 7, path);
            return 0;
        });
    }

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        return guard("opendir", path, () -> {
            Permissions.Caller who = caller();
            Attributes a = reach(who, path);
            if (!a.isDirectory()) {
                return ErrnoTable.negative(Errno.ENOTDIR);
            }
            perms.check(who, a, Permissions.READ, path);
            return 0;
        });
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        return guard("readdir", path, () -> {
            filler.apply(buf, ".", null, 0);
            filler.apply(buf, "..", null, 0);
            if (path == null) {
                return 0; // a directory removed while open is empty
            }
            long ino = paths.inode(path);
            String prefix = path.equals("/") ? "/" : path + "/";
            long gen = paths.generation();
            paths.listedDirectory(path);
            for (ListedEntry e : mediator.readdirPlus(ino)) {
                // The type in each entry spares `ls` and `find` a getattr per name, and the
                // attributes answer the stat that follows each name without a lookup.
                Attributes a = e.attributes();
                FileStat stat = new FileStat(jnr.ffi.Runtime.getSystemRuntime());
                stat.st_mode.set(a.mode());
                stat.st_ino.set(a.ino());
                paths.listed(prefix + e.name(), e, gen);
                if (a.isDirectory()) {
                    paths.rememberDirectory(prefix + e.name(), a.ino());
                }
                if (filler.apply(buf, ByteBuffer.wrap(e.name().getBytes(StandardCharsets.UTF_8)),
                        jnr.ffi.Struct.getMemory(stat), 0) != 0) {
                    break;
                }
            }
            return 0;
        });
    }

    @Override
    public int statfs(String path, Statvfs stbuf) {
        return guard("statfs", path, () -> {
            Mediator.FsStats s = mediator.statfs();
            int unit = 4096;
            stbuf.f_bsize.set(mediator.blockSize());
            stbuf.f_frsize.set(unit);
            stbuf.f_blocks.set(s.totalBytes() / unit);
            stbuf.f_bfree.set(s.freeBytes() / unit);
            stbuf.f_bavail.set(s.freeBytes() / unit);
            // No fixed inode table: inodes in use, and free ones up to 2^32 (what df -i can show).
            long freeInodes = Math.max(0, (1L << 32) - s.files());
            stbuf.f_files.set(s.files() + freeInodes);
            stbuf.f_ffree.set(freeInodes);
            stbuf.f_favail.set(freeInodes);
            stbuf.f_namemax.set(Limits.MAX_NAME_BYTES);
            return 0;
        });
    }

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        return change("setxattr", path, c -> {
            mayChangeXattr(path, name);
            byte[] v = new byte[(int) size];
            value.get(0, v, 0, v.length);
            long ino = paths.inode(path);
            c.changedInode(ino);
            mediator.setxattr(ino, name, v, flags);
            return 0;
        });
    }

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        return guard("getxattr", path, () -> {
            if (!name.startsWith(USER_XATTRS)) {
                // Only user.* is stored. The kernel asks for security.capability at writes: no round trip.
                return ErrnoTable.negative(Errno.ENODATA);
            }
            Permissions.Caller who = caller();
            Attributes a = reach(who, path);
            perms.check(who, a, Permissions.READ, path);
            return answer(mediator.getxattr(a.ino(), name), value, size);
        });
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        return guard("listxattr", path, () -> {
            perms.search(caller(), path);
            java.io.ByteArrayOutputStream names = new java.io.ByteArrayOutputStream();
            for (String n : mediator.listxattr(paths.inode(path))) {
                names.writeBytes(n.getBytes(StandardCharsets.UTF_8));
                names.write(0);
            }
            return answer(names.toByteArray(), list, size);
        });
    }

    @Override
    public int removexattr(String path, String name) {
        return change("removexattr", path, c -> {
            mayChangeXattr(path, name);
            long ino = paths.inode(path);
            c.changedInode(ino);
            mediator.removexattr(ino, name);
            return 0;
        });
    }

    private static final String USER_XATTRS = "user.";

    /**
     * As Linux: user.* attributes need write permission and belong to regular files and
     * directories only; other namespaces (trusted.*, security.*) are root's.
     */
    private void mayChangeXattr(String path, String name) {
        Permissions.Caller who = caller();
        perms.search(who, path);
        if (who.root()) {
            return;
        }
        Attributes a = paths.attributes(path);
        if (!name.startsWith(USER_XATTRS) || !(a.isDirectory() || a.type() == FileType.REGULAR)) {
            throw new Permissions.Denied(Errno.EPERM, path);
        }
        perms.check(who, a, Permissions.WRITE, path);
    }

    /** The xattr calls' answer: the length when asked with size 0, ERANGE when it does not fit. */
    private static int answer(byte[] bytes, Pointer into, long size) {
        if (size == 0) {
            return bytes.length;
        }
        if (bytes.length > size) {
            return ErrnoTable.negative(Errno.ERANGE);
        }
        into.put(0, bytes, 0, bytes.length);
        return bytes.length;
    }

    /**
     * Mounts at {@code mountPoint} and serves requests on our own threads ({@link FuseSessionLoop})
     * until it is unmounted; 0, or non-zero when the mount failed or the loop ended on an error.
     */
    int serve(java.nio.file.Path mountPoint, boolean debug, java.util.List<String> options) {
        if (!mounted.compareAndSet(false, true)) {
            throw new IllegalStateException("already mounted");
        }
        this.mountPoint = mountPoint;
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("quorumfs", "-f"));
        if (debug) {
            args.add("-d");
        }
        args.add(mountPoint.toAbsolutePath().toString());
        args.addAll(options);
        try {
            return new FuseSessionLoop(grants, kernelPages, readOnlyOpens, suidKills).run(args.toArray(String[]::new), jnr.ffi.Struct.getMemory(fuseOperations),
                    jnr.ffi.Struct.size(fuseOperations));
        } finally {
            mounted.set(false);
        }
    }

    /** Writes out everything buffered and ends the mount's session; called after unmounting. */
    void flushAll() {
        log.info("{}; {}; {}", kernelPages, readOnlyOpens, paths.readAheadSummary());
        try {
            files.flushAll();
        } catch (RuntimeException e) {
            log.error("flushing at unmount failed", e);
        }
        files.close();
    }
}
