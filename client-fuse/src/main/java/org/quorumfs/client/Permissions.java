package org.quorumfs.client;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import jnr.constants.platform.Errno;
import org.quorumfs.common.protocol.Attributes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;

/**
 * POSIX permission checks of the calling process, made in the client instead of the kernel. The
 * mount does not pass default_permissions: with attributes never cached by the kernel
 * (attr_timeout=0, see {@link MountMain}) the kernel's own checks fetched the attributes of every
 * directory on a path, so one stat of a file three levels down cost five FUSE round trips.
 * Without default_permissions the kernel checks only that some execute bit is set before an exec,
 * and each operation checks here what the kernel's generic_permission would have: against
 * attributes this mount remembers for up to a second ({@link PathResolver}), so a chmod made by
 * another mount is enforced here within that second. Root passes every check but executing a file
 * nobody may execute. Supplementary groups come from /proc of the calling process.
 */
final class Permissions {
    static final int READ = 4;
    static final int WRITE = 2;
    static final int EXEC = 1;
    static final int S_ISVTX = 01000;
    static final int S_ISGID = 02000;

    /** The process a FUSE request came from. */
    record Caller(int uid, int gid, long pid) {
        boolean root() {
            return uid == 0;
        }
    }

    /** A check that failed: the operation answers {@link #errno}. */
    static final class Denied extends RuntimeException {
        final Errno errno;

        Denied(Errno errno, String what) {
            super(what, null, false, false);
            this.errno = errno;
        }
    }

    private final PathResolver paths;
    /** A process's supplementary groups, read from /proc; kept briefly, as a process rarely changes them. */
    private final Cache<Long, int[]> groups = CacheBuilder.newBuilder()
            .maximumSize(1024).expireAfterWrite(Duration.ofSeconds(1)).build();

    Permissions(PathResolver paths) {
        this.paths = paths;
    }

    /** Whether {@code c} may do {@code mask} ({@link #READ}, {@link #WRITE}, {@link #EXEC} bits) to what {@code a} describes. */
    boolean allows(Caller c, Attributes a, int mask) {
        int mode = a.mode();
        if (c.root()) {
            return (mask & EXEC) == 0 || a.isDirectory() || (mode & 0111) != 0;
        }
        int bits;
        if (c.uid() == a.uid()) {
            bits = mode >> 6;
        } else if (inGroup(c, a.gid())) {
            bits = mode >> 3;
        } else {
            bits = mode;
        }
        return (bits & mask & 7) == mask;
    }

    /** EACCES unless {@code c} may do {@code mask} to {@code a}. */
    void check(Caller c, Attributes a, int mask, String path) {
        if (!allows(c, a, mask)) {
            throw new Denied(Errno.EACCES, path);
        }
    }

    /** EACCES unless {@code c} may search every directory above {@code path}. */
    void search(Caller c, String path) {
        if (c.root() || path == null) {
            return;
        }
        for (int slash = 0; slash >= 0 && slash < path.length() - 1; slash = path.indexOf('/', slash + 1)) {
            String dir = slash == 0 ? "/" : path.substring(0, slash);
            check(c, paths.attributes(dir), EXEC, dir);
        }
    }

    /** {@link #search} and write and search permission on the directory {@code path} would be made in. */
    void mayCreate(Caller c, String path) {
        writableDirectoryOf(c, path);
    }

    /**
     * {@link #mayCreate}, and in a sticky directory (/tmp) only the owner of the entry or of the
     * directory may remove or rename it (EPERM).
     */
    void mayDelete(Caller c, String path) {
        Attributes dir = writableDirectoryOf(c, path);
        if (dir != null && (dir.mode() & S_ISVTX) != 0 && dir.uid() != c.uid()
                && paths.attributes(path).uid() != c.uid()) {
            throw new Denied(Errno.EPERM, path);
        }
    }

    /** The directory {@code path} is in, once {@code c} may write and search it; null for root, who is not checked. */
    private Attributes writableDirectoryOf(Caller c, String path) {
        search(c, path);
        if (c.root()) {
            return null;
        }
        String dir = PathResolver.parentOf(path);
        Attributes a = paths.attributes(dir);
        check(c, a, WRITE | EXEC, dir);
        return a;
    }

    /** EPERM unless {@code c} owns {@code a} or is root: chmod, explicit times. */
    void mustOwn(Caller c, Attributes a, String path) {
        if (!c.root() && c.uid() != a.uid()) {
            throw new Denied(Errno.EPERM, path);
        }
    }

    boolean inGroup(Caller c, int gid) {
        if (c.gid() == gid) {
            return true;
        }
        try {
            int[] all = groups.get(c.pid(), () -> supplementaryGroups(c.pid()));
            return Arrays.binarySearch(all, gid) >= 0;
        } catch (ExecutionException e) {
            return false;
        }
    }

    /** The sorted "Groups:" of /proc/PID/status; none when the process is gone. */
    static int[] supplementaryGroups(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Groups:")) {
                    String list = line.substring("Groups:".length()).trim();
                    return list.isEmpty() ? new int[0]
                            : Arrays.stream(list.split("\\s+")).mapToInt(Integer::parseInt).sorted().toArray();
                }
            }
        } catch (IOException | NumberFormatException e) {
            // The caller exited: it has no groups to grant anything.
        }
        return new int[0];
    }
}
