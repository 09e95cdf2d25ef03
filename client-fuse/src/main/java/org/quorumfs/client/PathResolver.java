package org.quorumfs.client;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import org.quorumfs.common.protocol.Attributes;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.ListedEntry;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.mediator.Mediator;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns the paths FUSE hands us into inode numbers. Looked-up directories are remembered for a
 * short time, as the kernel remembers entries (entry_timeout), and forgotten at once when this
 * mount renames or removes them; a stale entry left by another mount is dropped and looked up
 * again when the meta-server answers {@link ErrorCode#STALE} for its inode.
 */
final class PathResolver {
    /**
     * How long attributes just fetched may answer the same path again. The kernel asks twice per
     * stat (lookup, then getattr, since attributes are not cached there); this lets the second
     * question cost nothing, and lets another mount's change show ≤ 50 ms late.
     */
    static final Duration ATTRIBUTES_TTL = Duration.ofMillis(50);

    private final Mediator mediator;
    private final Cache<String, Long> directories;
    private final Cache<String, Remembered> recent;
    /**
     * Attributes a directory listing brought, for every name in it: they answer the stat that
     * follows each name ({@code ls -l}, {@code find}) for up to {@link #LISTED_TTL}, so another
     * mount's change to a listed file shows up to that late (a change of this mount at once).
     */
    private final Cache<String, Remembered> listed;
    static final Duration LISTED_TTL = Duration.ofSeconds(1);
    /**
     * Directories listed within {@link #LISTED_TTL}, by this mount's readdir or by a lookup: the
     * first name looked up in a directory not listed lately is looked up by listing the directory
     * (its first {@link #PREFETCH_ENTRIES} entries with their attributes, one call as a lookup is),
     * so a program stat-ing or opening file after file there (a build, {@code git status}, a
     * backup) finds the others here.
     */
    private final Cache<String, Boolean> listedDirectories;
    static final int PREFETCH_ENTRIES = 256;
    /**
     * Files this mount has open that were unlinked or renamed over here: libfuse keeps their path
     * alive under a hidden name it chose ({@value #HIDDEN_PREFIX}...), which names the orphaned
     * inode here and nowhere at the meta-server, until the last close. Keyed by that name.
     */
    private final Map<String, Long> hidden = new ConcurrentHashMap<>();
    static final String HIDDEN_PREFIX = ".fuse_hidden";
    /** Bumped by every change this mount makes: attributes remembered before it are not used. */
    private final AtomicLong generation = new AtomicLong();

    /** {@code firstBlock}: a small file's one block, as a listing answered it (else null). */
    private record Remembered(Attributes attributes, long generation, BlockRecord firstBlock) {
        Remembered(Attributes attributes, long generation) {
            this(attributes, generation, null);
        }
    }

    PathResolver(Mediator mediator, Duration ttl) {
        this.mediator = mediator;
        this.directories = CacheBuilder.newBuilder().maximumSize(100_000).expireAfterWrite(ttl).build();
        this.recent = CacheBuilder.newBuilder().maximumSize(10_000).expireAfterWrite(ATTRIBUTES_TTL).build();
        this.listed = CacheBuilder.newBuilder().maximumSize(100_000).expireAfterWrite(LISTED_TTL).build();
        this.listedDirectories = CacheBuilder.newBuilder().maximumSize(10_000).expireAfterWrite(LISTED_TTL).build();
    }

    /**
     * A change this mount is making. Attributes remembered before it are not used from its start,
     * and the attributes the meta-server answered for the changed path may answer the next
     * questions (the kernel asks right after a create, chmod or touch).
     */
    static final class Change {
        private final long generation;
        private String path;
        private Attributes result;

        private Change(long generation) {
            this.generation = generation;
        }

        /** What {@code path} is after this change, as the meta-server answered. */
        void result(String path, Attributes attributes) {
            this.path = path;
            this.result = attributes;
        }
    }

    /** This mount starts changing something: forget every attribute remembered so far. */
    Change begin() {
        return new Change(generation.incrementAndGet());
    }

    /** The change is done (or failed). */
    void end(Change change) {
        long now = generation.incrementAndGet();
        // Its answer is still the truth only if no other change of this mount overlapped it.
        if (change.path != null && now == change.generation + 1) {
            recent.put(change.path, new Remembered(change.result, now));
        }
    }

    /** A path split into its parent directory's inode and its last name. */
    record Entry(long parent, String name) {
    }

    /** The name libfuse hides an open file under, if {@code path} is one this mount hid, else null. */
    private Long hiddenInode(String path) {
        int slash = path.lastIndexOf('/');
        String name = path.substring(slash + 1);
        return name.startsWith(HIDDEN_PREFIX) ? hidden.get(name) : null;
    }

    /** Whether {@code path} is one libfuse chose to hide an open file under. */
    static boolean isHiding(String path) {
        return path.substring(path.lastIndexOf('/') + 1).startsWith(HIDDEN_PREFIX);
    }

    /** {@code ino}, unlinked at the meta-server, is reached through hidden {@code path} until its last close. */
    void hide(String path, long ino) {
        hidden.put(path.substring(path.lastIndexOf('/') + 1), ino);
    }

    /** Forgets a hidden path (libfuse unlinks it at the last close); returns whether it was one. */
    boolean unhide(String path) {
        return isHiding(path) && hidden.remove(path.substring(path.lastIndexOf('/') + 1)) != null;
    }

    /** The attributes of what {@code path} names. */
    Attributes attributes(String path) {
        Long orphan = hiddenInode(path);
        if (orphan != null) {
            return mediator.getattr(orphan);
        }
        long gen = generation.get();
        Optional<Attributes> known = remembered(path);
        if (known.isPresent()) {
            return known.get();
        }
        Attributes a = fetch(path);
        recent.put(path, new Remembered(a, gen));
        return a;
    }

    /** The attributes remembered for {@code path}, if they are still good to answer with. */
    Optional<Attributes> remembered(String path) {
        long now = generation.get();
        Remembered r = recent.getIfPresent(path);
        if (r == null || r.generation() != now) {
            r = listed.getIfPresent(path);
        }
        return r != null && r.generation() == now ? Optional.of(r.attributes()) : Optional.empty();
    }

    /** The generation now: a listing started at it remembers its entries only if no change came between. */
    long generation() {
        return generation.get();
    }

    /** A directory listing begun at generation {@code gen} said what {@code path} is ({@code entry}). */
    void listed(String path, ListedEntry entry, long gen) {
        listed.put(path, new Remembered(entry.attributes(), gen, entry.firstBlock()));
    }

    /**
     * The one block of the small file at {@code path} as a listing of this mount answered it within
     * {@link #LISTED_TTL}, while this mount changed nothing: a guess an open can start reading by.
     */
    Optional<BlockRecord> listedSmallFile(String path) {
        Remembered r = listed.getIfPresent(path);
        return r != null && r.firstBlock() != null && r.generation() == generation.get()
                && r.attributes().size() == r.firstBlock().length() ? Optional.of(r.firstBlock()) : Optional.empty();
    }

    private Attributes fetch(String path) {
        if (path.equals("/")) {
            return mediator.getattr(MetaService.ROOT);
        }
        Entry e = entry(path);
        Attributes listedHere = lookupByListing(path, e);
        if (listedHere != null) {
            return listedHere;
        }
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

    /** {@code dir} was just listed by this mount: its entries are remembered already. */
    void listedDirectory(String dir) {
        listedDirectories.put(dir, true);
    }

    /**
     * The first lookup in a directory not listed lately lists it instead, remembering every
     * entry; the attributes of {@code e} if it was among them, else null (not there, past the
     * first page, or the listing failed: a plain lookup decides).
     */
    private Attributes lookupByListing(String path, Entry e) {
        int slash = path.lastIndexOf('/');
        String dir = slash == 0 ? "/" : path.substring(0, slash);
        if (listedDirectories.asMap().putIfAbsent(dir, true) != null) {
            return null;
        }
        long gen = generation.get();
        String prefix = dir.equals("/") ? "/" : dir + "/";
        Attributes found = null;
        try {
            for (ListedEntry le : mediator.readdirPlusPage(e.parent(), "", PREFETCH_ENTRIES)) {
                listed(prefix + le.name(), le, gen);
                if (le.name().equals(e.name())) {
                    found = le.attributes();
                }
            }
        } catch (FsException ex) {
            listedDirectories.invalidate(dir);
            return null;
        }
        return found;
    }

    long inode(String path) {
        if (path.equals("/")) {
            return MetaService.ROOT;
        }
        Long cached = directories.getIfPresent(path);
        if (cached != null) {
            return cached;
        }
        Long orphan = hiddenInode(path);
        return orphan != null ? orphan : attributes(path).ino();
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
