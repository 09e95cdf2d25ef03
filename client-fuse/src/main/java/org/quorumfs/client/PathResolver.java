package org.quorumfs.client;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import org.quorumfs.common.protocol.Attributes;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.mediator.Mediator;

import java.time.Duration;

/**
 * Turns the paths FUSE hands us into inode numbers. Looked-up directories are remembered for a
 * short time, as the kernel remembers entries (entry_timeout), and forgotten at once when this
 * mount renames or removes them; a stale entry left by another mount is dropped and looked up
 * again when the meta-server answers {@link ErrorCode#STALE} for its inode.
 */
final class PathResolver {
    private final Mediator mediator;
    private final Cache<String, Long> directories;

    PathResolver(Mediator mediator, Duration ttl) {
        this.mediator = mediator;
        this.directories = CacheBuilder.newBuilder().maximumSize(100_000).expireAfterWrite(ttl).build();
    }

    /** A path split into its parent directory's inode and its last name. */
    record Entry(long parent, String name) {
    }

    /** The attributes of what {@code path} names. */
    Attributes attributes(String path) {
        if (path.equals("/")) {
            return mediator.getattr(MetaService.ROOT);
        }
        Entry e = entry(path);
        try {
            return mediator.lookup(e.parent(), e.name());
        } catch (FsException ex) {
            // A cached directory that another mount removed: walk the path again, once.
            if (ex.code() != ErrorCode.STALE || !forgetParentOf(path)) {
                throw ex;
            }
            return mediator.lookup(entry(path).parent(), e.name());
        }
    }

    long inode(String path) {
        if (path.equals("/")) {
            return MetaService.ROOT;
        }
        Long cached = directories.getIfPresent(path);
        return cached != null ? cached : attributes(path).ino();
    }

    /** The parent directory's inode and the last name of {@code path} (not the root). */
    Entry entry(String path) {
        int slash = path.lastIndexOf('/');
        if (slash < 0 || path.length() == 1) {
            throw FsException.invalid("not a path to an entry: " + path);
        }
        String parentPath = slash == 0 ? "/" : path.substring(0, slash);
        return new Entry(directory(parentPath), path.substring(slash + 1));
    }

    private long directory(String path) {
        if (path.equals("/")) {
            return MetaService.ROOT;
        }
        Long cached = directories.getIfPresent(path);
        if (cached != null) {
            return cached;
        }
        Attributes a = attributes(path);
        if (!a.isDirectory()) {
            throw new FsException(ErrorCode.NOT_DIRECTORY, path + " is not a directory");
        }
        directories.put(path, a.ino());
        return a.ino();
    }

    /** Remembers a directory this mount just learnt of (mkdir, readdir). */
    void rememberDirectory(String path, long ino) {
        directories.put(path, ino);
    }

    /** Forgets {@code path} and everything below it, after this mount renamed or removed it. */
    void forget(String path) {
        String prefix = path + "/";
        directories.asMap().keySet().removeIf(k -> k.equals(path) || k.startsWith(prefix));
    }

    private boolean forgetParentOf(String path) {
        int slash = path.lastIndexOf('/');
        if (slash <= 0) {
            return false;
        }
        String parent = path.substring(0, slash);
        boolean had = directories.getIfPresent(parent) != null;
        forget(parent);
        return had;
    }
}
