package org.quorumfs.client;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import org.quorumfs.common.protocol.Attributes;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.ListedEntry;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.NewEntry;
import org.quorumfs.common.protocol.RemovedEntry;
import org.quorumfs.mediator.Mediator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
     * How long attributes this mount fetched or was answered may answer the same path again, as
     * long as no change of this mount touched it. The kernel asks twice per stat (lookup, then
     * getattr, since attributes are not cached there) and about every directory of a path before
     * each open, create or unlink in it; another mount's change shows at most this late, as
     * after a listing ({@link #LISTED_TTL}; NFS's attribute cache allows 3-60 s). It was 50 ms
     * while any change of this mount voided everything remembered: a loop creating files paid a
     * getattr of the root and of the directory per file.
     */
    static final Duration ATTRIBUTES_TTL = Duration.ofSeconds(1);
    static final Duration LISTED_TTL = ATTRIBUTES_TTL;

    private final Mediator mediator;
    private final Cache<String, Long> directories;
    private final Cache<String, Remembered> recent;
    /**
     * Attributes a directory listing brought, for every name in it: they answer the stat that
     * follows each name ({@code ls -l}, {@code find}) for up to {@link #LISTED_TTL}, so another
     * mount's change to a listed file shows up to that late (a change of this mount at once).
     */
    private final Cache<String, Remembered> listed;
    /**
     * Directories listed within {@link #LISTED_TTL}, by this mount's readdir or by a lookup: the
     * first name looked up in a directory not listed lately is looked up by listing the directory
     * (its first {@link #PREFETCH_ENTRIES} entries with their attributes, one call as a lookup is),
     * so a program stat-ing or opening file after file there (a build, {@code git status}, a
     * backup) finds the others here.
     */
    private final Cache<String, Boolean> listedDirectories;
    static final int PREFETCH_ENTRIES = 256;
    private final DirectoryReadAhead readAhead = new DirectoryReadAhead(new DirectoryReadAhead.Listings() {
        @Override
        public boolean claim(String dir) {
            return listedDirectories.asMap().putIfAbsent(dir, true) == null;
        }

        @Override
        public void list(String dir) {
            listAhead(dir);
        }

        @Override
        public void release(String dir) {
            listedDirectories.invalidate(dir);
        }
    });
    /**
     * Files this mount has open that were unlinked or renamed over here: libfuse keeps their path
     * alive under a hidden name it chose ({@value #HIDDEN_PREFIX}...), which names the orphaned
     * inode here and nowhere at the meta-server, until the last close. Keyed by that name.
     */
    private final Map<String, Long> hidden = new ConcurrentHashMap<>();
    static final String HIDDEN_PREFIX = ".fuse_hidden";
    /**
     * Bumped at the start and the end of every change this mount makes. What is remembered carries
     * the generation it was fetched at, and is used only if no change of this mount that could have
     * altered it ended since: one that touched its path or its inode (a mark), or one that did not
     * say what it touched (the floor).
     */
    private final AtomicLong generation = new AtomicLong();
    private final AtomicLong floor = new AtomicLong();
    private final Cache<Long, Long> inodeMarks;
    private final Cache<String, Long> pathMarks;
    /** Marks outlive every memo they could void (the longest lives {@link #LISTED_TTL}). */
    static final Duration MARK_TTL = LISTED_TTL.multipliedBy(2);
    static final int MAX_MARKS = 100_000;

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
        this.inodeMarks = marks();
        this.pathMarks = marks();
    }

    /** A mark pushed out for room, not for age, raises the floor: what it voided stays void. */
    private <K> Cache<K, Long> marks() {
        return CacheBuilder.newBuilder().maximumSize(MAX_MARKS).expireAfterWrite(MARK_TTL)
                .<K, Long>removalListener(n -> {
                    if (n.getCause() == com.google.common.cache.RemovalCause.SIZE) {
                        floor.accumulateAndGet(n.getValue(), Math::max);
                    }
                }).build();
    }

    private static <K> long mark(Cache<K, Long> marks, K key) {
        Long g = marks.getIfPresent(key);
        return g == null ? 0 : g;
    }

    private static <K> void mark(Cache<K, Long> marks, K key, long gen) {
        marks.asMap().merge(key, gen, Math::max);
    }

    /** Whether {@code r}, remembered for {@code path}, is still good to answer with. */
    private boolean current(Remembered r, String path) {
        long g = r.generation();
        return g >= floor.get() && g >= mark(inodeMarks, r.attributes().ino()) && g >= mark(pathMarks, path);
    }

    /**
     * A change this mount is making. Unless it says what it touched ({@link #created},
     * {@link #removed}, {@link #changedInode}), everything remembered before its end is void; if it
     * does, only what it touched is. What the meta-server answered about the paths it changed may
     * answer the next questions (the kernel asks right after a create, chmod or touch, and about
     * the parent directory before the next create or unlink in it).
     */
    static final class Change {
        private final long generation;
        private boolean scoped;
        private final List<String> paths = new ArrayList<>(2);
        private final List<Long> inodes = new ArrayList<>(3);
        private final List<Long> written = new ArrayList<>(1);
        private final Map<String, Attributes> results = new LinkedHashMap<>(4);

        private Change(long generation) {
            this.generation = generation;
        }

        /** What {@code path} is after this change, as the meta-server answered (not a scope of its own). */
        void result(String path, Attributes attributes) {
            results.put(path, attributes);
            paths.add(path);
            inodes.add(attributes.ino());
        }

        /** The inodes this change touched or wrote to, as far as it told. */
        List<Long> inodes() {
            if (written.isEmpty()) {
                return inodes;
            }
            List<Long> all = new ArrayList<>(inodes);
            all.addAll(written);
            return all;
        }

        /**
         * This change buffered bytes for inode {@code ino} and changed nothing the meta-server
         * answers about it until they are committed ({@link PathResolver#committed}): what this
         * mount remembers of it stays good, with the open file's size laid over it; the kernel's
         * grant goes (it keeps a size and times of its own).
         */
        void wroteInode(long ino) {
            scoped = true;
            written.add(ino);
        }

        /** This change, asked for, turned out to touch nothing this mount remembers. */
        void changedNothing() {
            scoped = true;
        }

        /** This change touched inode {@code ino} only (its size, times, mode or owner). */
        void changedInode(long ino) {
            scoped = true;
            inodes.add(ino);
        }

        /**
         * This change made {@code path} (a new inode, or a new name of one: a link): it, the inode
         * under every name and the parent directory changed.
         */
        void created(String path, NewEntry e) {
            entryChanged(path, e.parent());
            result(path, e.attributes());
        }

        /** This change took {@code path} away: it, its inode and the parent directory changed. */
        void removed(String path, RemovedEntry r) {
            entryChanged(path, r.parent());
            paths.add(path);
            inodes.add(r.ino());
        }

        private void entryChanged(String path, Attributes parent) {
            scoped = true;
            result(parentOf(path), parent);
        }
    }

    /**
     * A block of inode {@code ino} was committed, in the background or by a flush: its size and
     * times at the meta-server moved, so what was fetched of it before is void. The mark is one
     * past the generation now, without a bump of its own: a change running meanwhile (the flush
     * that waited for this commit) still finds itself alone and remembers its answer, which ends
     * past the mark; a fetch starting before the next change of this mount is not remembered
     * either (the next write, flush or close comes soon after a commit).
     */
    void committed(long ino) {
        mark(inodeMarks, ino, generation.get() + 1);
    }

    /** This mount starts changing something. */
    Change begin() {
        return new Change(generation.incrementAndGet());
    }

    /** The change is done (or failed): what it touched is void, and its answers are remembered. */
    void end(Change change) {
        long now = generation.incrementAndGet();
        // Its answers are still the truth only if no other change of this mount overlapped it.
        boolean alone = now == change.generation + 1;
        if (!change.scoped) {
            floor.accumulateAndGet(now, Math::max);
        }
        for (String p : change.paths) {
            mark(pathMarks, p, now);
        }
        for (long ino : change.inodes) {
            mark(inodeMarks, ino, now);
        }
        if (alone) {
            change.results.forEach((path, a) -> recent.put(path, new Remembered(a, now)));
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
        Remembered r = recent.getIfPresent(path);
        if (r != null && current(r, path)) {
            return Optional.of(r.attributes());
        }
        r = listed.getIfPresent(path);
        if (r == null || !current(r, path)) {
            return Optional.empty();
        }
        readAhead.answered(path);
        return Optional.of(r.attributes());
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
        return r != null && r.firstBlock() != null && current(r, path)
                && r.attributes().size() == r.firstBlock().length() ? Optional.of(r.firstBlock()) : Optional.empty();
    }

    private Attributes fetch(String path) {
        if (path.equals("/")) {
            return mediator.getattr(MetaService.ROOT);
        }
        Entry e = entry(path);
        if (readAhead.awaitListing(parentOf(path))) {
            Optional<Attributes> ahead = remembered(path);
            if (ahead.isPresent()) {
                return ahead.get();
            }
        }
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
     * entry; the attributes of {@code e} if it was among them, else null (past the first page, or
     * the listing failed: a plain lookup decides). A name absent from a whole listing is not there:
     * the listing is as fresh an answer as a lookup would be, so none follows it (the first create
     * in each new directory asked twice).
     */
    private Attributes lookupByListing(String path, Entry e) {
        String dir = parentOf(path);
        if (listedDirectories.asMap().putIfAbsent(dir, true) != null) {
            return null;
        }
        long gen = generation.get();
        List<ListedEntry> page;
        try {
            page = list(dir, e.parent(), gen);
        } catch (FsException ex) {
            listedDirectories.invalidate(dir);
            if (ex.code() == ErrorCode.UNAVAILABLE) {
                throw ex; // no answer within a call's patience: a lookup would wait as long again
            }
            return null;
        }
        for (ListedEntry le : page) {
            if (le.name().equals(e.name())) {
                // A program looking up what is there: it may go on to the directories beside this one.
                readAhead.walkedInto(dir);
                return le.attributes();
            }
        }
        if (page.size() < PREFETCH_ENTRIES) {
            throw new FsException(ErrorCode.NOT_FOUND, path + ": no such entry");
        }
        return null;
    }

    /** Lists {@code dir} (inode {@code ino}) into the memo, as of generation {@code gen}. */
    private List<ListedEntry> list(String dir, long ino, long gen) {
        List<ListedEntry> page = mediator.readdirPlusPage(ino, "", PREFETCH_ENTRIES);
        String prefix = dir.equals("/") ? "/" : dir + "/";
        List<String> subdirectories = new ArrayList<>();
        for (ListedEntry le : page) {
            listed(prefix + le.name(), le, gen);
            if (le.attributes().isDirectory()) {
                subdirectories.add(le.name());
            }
        }
        readAhead.subdirectories(dir, subdirectories);
        return page;
    }

    /**
     * Lists {@code dir}, claimed by the read-ahead, if this mount still knows it as a directory
     * (what it remembers of it is current: no change of this mount touched it since).
     */
    private void listAhead(String dir) {
        long gen = generation.get();
        Remembered r = listed.getIfPresent(dir);
        try {
            if (r == null || !current(r, dir) || !r.attributes().isDirectory()) {
                throw new FsException(ErrorCode.STALE, dir + ": no longer known as a directory here");
            }
            list(dir, r.attributes().ino(), gen);
        } catch (RuntimeException e) {
            listedDirectories.invalidate(dir);
            throw e;
        }
    }

    /** The directory {@code path} is in ("/" for a name in the root). */
    static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    /** What the read-ahead of directory listings did, for the log at unmount. */
    String readAheadSummary() {
        return readAhead.toString();
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

    /** Forgets the attributes remembered for {@code path}: an open found the file changed since. */
    void forgetAttributes(String path) {
        recent.invalidate(path);
        listed.invalidate(path);
    }

    /**
     * Forgets everything remembered about {@code path} and the directories above it, after the
     * meta-server answered STALE for an inode remembered for it (another mount removed it, and
     * maybe made a new one under the same name); returns whether anything was remembered.
     */
    boolean forgetRemembered(String path) {
        boolean had = false;
        for (String p = path; p.length() > 1; p = p.substring(0, Math.max(1, p.lastIndexOf('/')))) {
            had |= recent.asMap().remove(p) != null;
            had |= listed.asMap().remove(p) != null;
            had |= directories.asMap().remove(p) != null;
            listedDirectories.invalidate(p);
        }
        return had;
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
