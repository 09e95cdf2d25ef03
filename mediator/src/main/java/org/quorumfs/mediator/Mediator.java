package org.quorumfs.mediator;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import org.quorumfs.common.protocol.AttributeChanges;
import org.quorumfs.common.protocol.Attributes;
import org.quorumfs.common.protocol.NewEntry;
import org.quorumfs.common.protocol.RemovedEntry;
import org.quorumfs.common.protocol.BlockCommit;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.ListedEntry;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.FsCounts;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.OpenedFile;
import org.quorumfs.common.protocol.SessionGrant;
import org.quorumfs.common.protocol.Truncation;
import org.quorumfs.common.protocol.StoreSpace;
import org.quorumfs.common.protocol.Wire;
import org.quorumfs.common.rpc.LargeArrays;
import org.quorumfs.common.rpc.RpcClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The reliable layer, in the client's process: namespace calls go to the meta-server; file data is
 * cut into blocks written to all data servers with a write quorum and read with a read quorum,
 * verified against the committed MD5 and repaired when bad. Thread-safe. Every failure is an
 * {@link FsException}; a lost quorum is {@link ErrorCode#IO}.
 */
public final class Mediator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Mediator.class);
    /** Tries of a read-modify-write whose compare-and-set keeps losing to other writers. */
    private static final int CAS_TRIES = 20;
    private static final int PAGE = 1000;
    /** How recent an answer {@link #writeQuorumRecentlyReachable} takes instead of a ping. */
    private static final long RECENT_NANOS = 300_000_000L;
    /**
     * The same for a server with calls of ours under way: under a burst of writes a server busy
     * with puts answered nothing for 300 ms and its ping waited behind them past
     * {@link #PROBE_WAIT_NANOS}, so twelve files written at once got EIO from a healthy cluster.
     * A killed server's calls fail at once and leave it idle, so it still needs the recent answer
     * or the ping.
     */
    private static final long BUSY_RECENT_NANOS = 2_000_000_000L;
    /** The longest {@link #writeQuorumReachable} waits for pings. */
    private static final long PROBE_WAIT_NANOS = 500_000_000L;

    private final MediatorConfig config;
    private final MetaService meta;
    private final ReplicaSet replicas;
    private final BlockReader reader;
    private final PieceReader pieceReader;
    private final BlockWriter writer;
    private final FreedInodes freedInodes;
    private final MediatorStats stats = new MediatorStats();
    private final int blockSize;
    private final long maxFileSize;

    private Mediator(MediatorConfig config, MetaService meta, int blockSize) {
        this.config = config;
        this.meta = meta;
        this.blockSize = blockSize;
        this.maxFileSize = Math.min(Limits.MAX_FILE_SIZE, (long) Integer.MAX_VALUE * blockSize);
        this.replicas = new ReplicaSet(config);
        this.reader = new BlockReader(replicas, meta, config, stats);
        this.pieceReader = new PieceReader(replicas, config, stats);
        this.writer = new BlockWriter(replicas, meta, new VersionAllocator(meta), config, stats);
        this.freedInodes = new FreedInodes(replicas);
    }

    /** Connects to the cluster; fails with {@code UNAVAILABLE} if the meta-server does not answer. */
    public static Mediator connect(MediatorConfig config) {
        MetaService direct = new RpcClient(config.meta(), config.timeouts()).proxy(MetaService.class);
        // Connecting fails fast (the mount says the cluster is unreachable); later calls wait out a restart.
        int blockSize = Wire.toInt(Wire.member(MetaRetry.wrap(direct, config.retryPause(), config.retryPause()).info(),
                "blockSize"), "blockSize");
        MetaService meta = MetaRetry.wrap(direct, config.metaWait(), config.retryPause());
        if (blockSize < 1 || blockSize > Limits.MAX_BLOCK_SIZE) {
            throw new FsException(ErrorCode.IO, "meta-server reports an impossible block size " + blockSize);
        }
        log.info("mediator: meta {}, data {}, Qr {}, Qw {}, block size {}", config.meta(), config.data(),
                config.qr(), config.qw(), blockSize);
        return new Mediator(config, meta, blockSize);
    }

    public int blockSize() {
        return blockSize;
    }

    /** The largest file size this cluster can hold. */
    public long maxFileSize() {
        return maxFileSize;
    }

    public MediatorStats stats() {
        return stats;
    }

    /**
     * Whether at least Qw data servers answer a ping now (waiting at most half a second, and no
     * longer than it takes Qw of them to answer). A client that buffers writes asks this before it
     * accepts data into a clean buffer, so that a write which cannot reach its quorum fails at
     * write(2), not only at close(2), whose errors many programs (a shell's {@code echo >}) ignore.
     */
    public boolean writeQuorumReachable() {
        return writeQuorumReachable(false);
    }

    /**
     * {@link #writeQuorumReachable()}, answered at once when Qw servers answered calls within the
     * last {@link #RECENT_NANOS} (a writer creating many small files then pays no ping per file);
     * for accepting bytes into a write buffer, not for decisions that drop committed data.
     */
    public boolean writeQuorumRecentlyReachable() {
        return writeQuorumReachable(true);
    }

    private boolean writeQuorumReachable(boolean recentIsEnough) {
        if (recentIsEnough && replicas.servers().stream().filter(s -> s.answeredWithin(RECENT_NANOS)
                || s.busy() && !s.avoid() && s.answeredWithin(BUSY_RECENT_NANOS)).count() >= config.qw()) {
            return true;
        }
        CompletionService<Boolean> pings = replicas.completionService();
        int sent = 0;
        for (DataServerHandle s : replicas.servers()) {
            if (!s.believedDown()) {
                pings.submit(s::probe);
                sent++;
            }
        }
        if (sent < config.qw()) {
            return false;
        }
        long deadline = System.nanoTime() + PROBE_WAIT_NANOS;
        int answered = 0;
        try {
            for (int i = 0; i < sent && answered < config.qw(); i++) {
                Future<Boolean> f = pings.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (f == null) {
                    break;
                }
                if (f.get()) {
                    answered++;
                }
            }
        } catch (ExecutionException e) {
            log.debug("probe failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return answered >= config.qw();
    }

    // ---- namespace ----

    public Attributes lookup(long parent, String name) {
        return Attributes.fromWire(meta.lookup(id(parent), name));
    }

    public Attributes getattr(long ino) {
        return Attributes.fromWire(meta.getattr(id(ino)));
    }

    public Attributes setattr(long ino, AttributeChanges changes) {
        return Attributes.fromWire(meta.setattr(id(ino), changes.toWire()));
    }

    public Attributes create(long parent, String name, int mode, int uid, int gid) {
        return Attributes.fromWire(meta.create(id(parent), name, mode, uid, gid));
    }

    /** {@link #create}, held open by {@code session} from the start; with the parent's new attributes. */
    public NewEntry createAndOpen(String session, long parent, String name, int mode, int uid, int gid) {
        return NewEntry.fromWire(meta.createAndOpen(session, id(parent), name, mode, uid, gid));
    }

    /** A regular or special file: {@code mode} carries the type bits, {@code rdev} a device's number. */
    public NewEntry mknod(long parent, String name, int mode, int uid, int gid, long rdev) {
        return NewEntry.fromWire(meta.mknod(id(parent), name, mode, uid, gid, id(rdev)));
    }

    // ---- sessions: a mount's open files survive an unlink anywhere until their last close ----

    /** A new session: its id and lease. */
    public SessionGrant openSession() {
        return SessionGrant.fromWire(meta.openSession());
    }

    /** Whether the meta-server still knew the session (false: its holds lapsed). */
    public boolean renewSession(String session) {
        return meta.renewSession(session);
    }

    /** Ends a session; the replicas of files that freed are deleted. */
    public void closeSession(String session) {
        for (Object ino : meta.closeSession(session)) {
            freed(Wire.toStr(ino, "freed inode"));
        }
    }

    /** {@code session} holds {@code ino} open; its attributes and its first {@code blockCount} blocks. */
    public OpenedFile open(String session, long ino, int blockCount) {
        return OpenedFile.fromWire(meta.open(session, id(ino), blockCount));
    }

    /** {@code session} closes each of {@code inos} once, in one call; the replicas of unlinked files that freed go. */
    public void closeEach(String session, List<Long> inos) {
        Object[] ids = inos.stream().map(Wire::ofLong).toArray();
        for (Object ino : meta.closeEach(session, ids)) {
            freed(Wire.toStr(ino, "freed inode"));
        }
    }

    /**
     * Deletes, everywhere, the replicas of up to {@code limit} inodes the meta-server freed without
     * a client to do it (a lapsed session's); an inode is forgotten only when every data server
     * confirmed. Returns how many were cleared.
     */
    public int collectGarbage(int limit) {
        int cleared = 0;
        for (Object o : meta.garbage(limit)) {
            String ino = Wire.toStr(o, "garbage inode");
            if (replicas.everywhere("delete inode", ds -> ds.deleteInode(ino)) && meta.clearGarbage(ino)) {
                cleared++;
            }
        }
        return cleared;
    }

    // ---- extended attributes ----

    public void setxattr(long ino, String name, byte[] value, int flags) {
        meta.setxattr(id(ino), name, value, flags);
    }

    public byte[] getxattr(long ino, String name) {
        return meta.getxattr(id(ino), name);
    }

    public List<String> listxattr(long ino) {
        List<String> out = new ArrayList<>();
        for (Object o : meta.listxattr(id(ino))) {
            out.add(Wire.toStr(o, "name"));
        }
        return out;
    }

    public void removexattr(long ino, String name) {
        meta.removexattr(id(ino), name);
    }

    public NewEntry mkdir(long parent, String name, int mode, int uid, int gid) {
        return NewEntry.fromWire(meta.mkdir(id(parent), name, mode, uid, gid));
    }

    public NewEntry symlink(long parent, String name, String target, int uid, int gid) {
        return NewEntry.fromWire(meta.symlink(id(parent), name, target, uid, gid));
    }

    public String readlink(long ino) {
        return meta.readlink(id(ino));
    }

    public NewEntry link(long ino, long newParent, String newName) {
        return NewEntry.fromWire(meta.link(id(ino), id(newParent), newName));
    }

    /** Removes a name; the replicas of a file whose last link it was are deleted in the background. */
    public RemovedEntry unlink(long parent, String name) {
        RemovedEntry r = RemovedEntry.fromWire(meta.unlink(id(parent), name));
        freed(r.freed());
        return r;
    }

    public RemovedEntry rmdir(long parent, String name) {
        return RemovedEntry.fromWire(meta.rmdir(id(parent), name));
    }

    public void rename(long srcParent, String srcName, long dstParent, String dstName) {
        freed(meta.rename(id(srcParent), srcName, id(dstParent), dstName));
    }

    /** One page of a directory's entries with their attributes: up to {@code limit} after name {@code after}. */
    public List<ListedEntry> readdirPlusPage(long ino, String after, int limit) {
        List<ListedEntry> page = new ArrayList<>();
        for (Object e : meta.readdirPlus(id(ino), after, limit)) {
            page.add(ListedEntry.fromWire(e));
        }
        return page;
    }

    /** Every entry of a directory with its attributes, fetched page by page. */
    public List<ListedEntry> readdirPlus(long ino) {
        List<ListedEntry> all = new ArrayList<>();
        while (true) {
            List<ListedEntry> page = readdirPlusPage(ino, all.isEmpty() ? "" : all.get(all.size() - 1).name(), PAGE);
            all.addAll(page);
            if (page.size() < PAGE) {
                return all;
            }
        }
    }

    /** Files and bytes in the filesystem, and the space of the fullest reachable data server. */
    public FsStats statfs() {
        FsCounts counts = FsCounts.fromWire(meta.statfs());
        long total = Long.MAX_VALUE;
        long free = Long.MAX_VALUE;
        for (DataServerHandle s : replicas.servers()) {
            try {
                StoreSpace disk = StoreSpace.diskFromWire(s.call(ds -> ds.ping()));
                total = Math.min(total, disk.totalBytes());
                free = Math.min(free, disk.freeBytes());
            } catch (FsException e) {
                log.debug("statfs: {} did not answer", s);
            }
        }
        if (total == Long.MAX_VALUE) {
            total = 0;
            free = 0;
        }
        return new FsStats(counts.files(), counts.bytes(), total, free);
    }

    /** Sizes as statfs reports them. */
    public record FsStats(int files, long bytesInFiles, long totalBytes, long freeBytes) {
    }

    // ---- data ----

    /** Committed blocks of a file with index in [from, from+count). */
    public List<BlockStatus> blocks(long ino, int from, int count) {
        List<BlockStatus> out = new ArrayList<>();
        int done = 0;
        while (done < count) {
            int n = Math.min(Limits.MAX_PAGE, count - done);
            for (Object o : meta.blocks(id(ino), from + done, n)) {
                out.add(BlockStatus.fromWire(o));
            }
            done += n;
        }
        return out;
    }

    /**
     * The verified bytes of a committed block: each of the Qr servers sends its share of the
     * pieces when all is well, else as {@link #readAndRepair}.
     */
    public byte[] readBlock(long ino, BlockStatus status) {
        return pieceReader.readShared(ino, status).orElseGet(() -> readAndRepair(ino, status));
    }

    /**
     * The verified bytes of a committed block, read whole: Qr replicas (all in read-all mode) are
     * checked in full, widening to the others when one is bad or silent, and every bad replica
     * seen is rewritten. If no replica of that version is found because a writer has meanwhile
     * committed (and pruned) a newer one, the newer one is read instead.
     */
    public byte[] readAndRepair(long ino, BlockStatus status) {
        BlockStatus current = status;
        for (int attempt = 0; ; attempt++) {
            try {
                return reader.read(ino, current);
            } catch (FsException e) {
                if (e.code() != ErrorCode.IO || attempt == 2) {
                    throw e;
                }
                Optional<BlockStatus> now = blockStatus(ino, current.block().index());
                if (now.isEmpty() || now.get().block().version() == current.block().version()) {
                    throw e;
                }
                current = now.get();
            }
        }
    }

    /**
     * Verified bytes [{@code offset}, {@code offset + length}) of a committed block (fewer at its
     * end). Only the pieces the range lies in are moved and verified when every replica asked is
     * good; otherwise the whole block is read, with widening and repair as in {@link #readAndRepair}.
     */
    public byte[] readRange(long ino, BlockStatus status, int offset, int length) {
        if (offset < 0 || length < 0 || offset > blockSize) {
            throw FsException.invalid("range " + offset + "+" + length + " does not fit a block");
        }
        Optional<byte[]> part = pieceReader.read(ino, status, offset, length);
        if (part.isPresent()) {
            return part.get();
        }
        byte[] whole = readAndRepair(ino, status);
        int from = Math.min(offset, whole.length);
        return Arrays.copyOfRange(whole, from, (int) Math.min(whole.length, (long) offset + length));
    }

    /**
     * Starts reading a small file's only block as {@code guess} (a directory listing's record of
     * it) says it is, before the file's open has answered the committed record: the open and the
     * read then take one round trip instead of two. Pieces are moved and verified as in
     * {@link #readRange}, without widening or repair; the bytes count only if the open confirms
     * the same record ({@link EarlyRead#bytesIf}).
     */
    public EarlyRead readEarly(long ino, BlockRecord guess) {
        return new EarlyRead(guess, pieceReader.start(ino, new BlockStatus(guess, List.of()), 0, guess.length()));
    }

    /** A read of block 0 begun before the open that says which block 0 is committed. */
    public final class EarlyRead {
        private final BlockRecord guess;
        private final Optional<PieceReader.Pending> pending;

        private EarlyRead(BlockRecord guess, Optional<PieceReader.Pending> pending) {
            this.guess = guess;
            this.pending = pending;
        }

        /**
         * The verified bytes of the block if {@code committed} is the record the read was begun
         * for and every server asked agreed with it; else empty, and the caller reads as usual.
         */
        public Optional<byte[]> bytesIf(BlockStatus committed) {
            if (pending.isEmpty() || !committed.block().equals(guess) || !committed.missed().isEmpty()) {
                return Optional.empty();
            }
            Optional<byte[]> bytes = pending.get().finish();
            bytes.ifPresent(b -> stats.earlyReads.incrementAndGet());
            return bytes;
        }
    }

    /**
     * Up to {@code length} bytes of a file from {@code offset}: fewer at the end of the file, holes
     * and bytes past a short block read as zeros.
     */
    public byte[] read(long ino, long offset, int length) {
        if (offset < 0 || length < 0) {
            throw FsException.invalid("offset and length must not be negative");
        }
        long size = getattr(ino).size();
        if (offset >= size || length == 0) {
            return new byte[0];
        }
        int n = (int) Math.min(length, size - offset);
        byte[] out = new byte[n];
        int first = (int) (offset / blockSize);
        int last = (int) ((offset + n - 1) / blockSize);
        for (BlockStatus st : blocks(ino, first, last - first + 1)) {
            long blockStart = (long) st.block().index() * blockSize;
            byte[] data = readBlock(ino, st);
            long from = Math.max(offset, blockStart);
            long to = Math.min(offset + n, blockStart + data.length);
            if (to > from) {
                System.arraycopy(data, (int) (from - blockStart), out, (int) (from - offset), (int) (to - from));
            }
        }
        return out;
    }

    /** Writes {@code data} at {@code offset}, block by block. */
    public Attributes write(long ino, long offset, byte[] data) {
        checkRange(offset, data.length);
        Attributes attrs = null;
        int done = 0;
        while (done < data.length) {
            long pos = offset + done;
            int index = (int) (pos / blockSize);
            int within = (int) (pos % blockSize);
            int n = Math.min(blockSize - within, data.length - done);
            byte[] buffer = new byte[within + n];
            System.arraycopy(data, done, buffer, within, n);
            RangeSet<Integer> dirty = TreeRangeSet.create();
            dirty.add(Range.closedOpen(within, within + n));
            attrs = writeBlock(ino, index, buffer, dirty);
            done += n;
        }
        return attrs != null ? attrs : getattr(ino);
    }

    /**
     * Writes the {@code dirty} byte ranges of {@code buffer} (block-relative offsets) into block
     * {@code index}: a read-modify-write of the committed block when the ranges do not cover it,
     * merged again from the latest version if another writer commits first.
     */
    public Attributes writeBlock(long ino, int index, byte[] buffer, RangeSet<Integer> dirty) {
        return writeBlock(ino, index, buffer, dirty, () -> blockStatus(ino, index)).attributes();
    }

    /**
     * {@link #writeBlock(long, int, byte[], RangeSet)} for a writer that keeps its own knowledge of
     * the block's committed state: {@code current} answers the first attempt (the block's status,
     * or empty if it has none), sparing a look-up at the meta-server. If that knowledge is out of
     * date the compare-and-set fails and the write is merged again from the meta-server's answer.
     * Returns the file's new attributes and the block as now committed.
     */
    public BlockWrite writeBlock(long ino, int index, byte[] buffer, RangeSet<Integer> dirty,
                                 Supplier<Optional<BlockStatus>> current) {
        if (!dirty.isEmpty() && dirty.span().upperEndpoint() > buffer.length) {
            throw FsException.invalid("dirty ranges " + dirty + " do not fit a buffer of " + buffer.length + " bytes");
        }
        return writeBlock(ino, index, (from, to, dst) -> System.arraycopy(buffer, from, dst, from, to - from),
                dirty, current);
    }

    /** {@link #writeBlock(long, int, byte[], RangeSet, Supplier)} with the bytes held as the writer likes. */
    public BlockWrite writeBlock(long ino, int index, BufferedBytes buffer, RangeSet<Integer> dirty,
                                 Supplier<Optional<BlockStatus>> current) {
        if (dirty.isEmpty()) {
            throw FsException.invalid("nothing to write");
        }
        int end = dirty.span().upperEndpoint();
        if (index < 0 || end > blockSize || dirty.span().lowerEndpoint() < 0) {
            throw FsException.invalid("dirty ranges " + dirty + " do not fit block " + index);
        }
        checkRange((long) index * blockSize, end);
        for (int attempt = 1; ; attempt++) {
            Optional<BlockStatus> now = attempt == 1 ? current.get() : blockStatus(ino, index);
            long expected = now.map(s -> s.block().version()).orElse(0L);
            int length = Math.max(end, now.map(s -> s.block().length()).orElse(0));
            // A block written whole is copied into a kept array (every byte of it overwritten),
            // given back once the put's body is made of it.
            boolean whole = dirty.encloses(Range.closedOpen(0, length));
            byte[] merged = whole ? LargeArrays.take(length) : now.isEmpty() ? new byte[length]
                    : Arrays.copyOf(readBlock(ino, now.get()), length);
            BlockCommit commit;
            try {
                for (Range<Integer> r : dirty.asRanges()) {
                    buffer.copy(r.lowerEndpoint(), r.upperEndpoint(), merged);
                }
                commit = writer.store(ino, index, merged, expected);
            } finally {
                if (whole) {
                    LargeArrays.give(merged);
                }
            }
            try {
                Attributes attrs = Attributes.fromWire(writer.commit(ino, commit));
                return new BlockWrite(attrs, new BlockStatus(commit.block(), commit.missedServers()));
            } catch (FsException e) {
                if (e.code() != ErrorCode.VERSION_CONFLICT || attempt == CAS_TRIES) {
                    throw e;
                }
                log.debug("block {} of inode {} moved under us, merging again", index, ino);
                backOff(attempt);
            }
        }
    }

    /** A writer's bytes for a block, copied out by range (a client keeps them in pieces, not one array). */
    @FunctionalInterface
    public interface BufferedBytes {
        /** Copies the block's bytes [{@code from}, {@code to}) into {@code dst} at the same offsets. */
        void copy(int from, int to, byte[] dst);
    }

    /** What a block write left: the file's attributes and the block as committed. */
    public record BlockWrite(Attributes attributes, BlockStatus block) {
    }

    /**
     * Sets a file's size; a block cut short is rewritten so that growing it again shows zeros.
     * Like a write, it needs Qw reachable data servers: without them the filesystem refuses to
     * change data (as GlusterFS under client quorum), or a shell's {@code > file} would drop
     * committed data right before its write fails.
     */
    public Attributes truncate(long ino, long size) {
        if (size < 0) {
            throw FsException.invalid("size must not be negative");
        }
        if (size > maxFileSize) {
            throw new FsException(ErrorCode.FILE_TOO_LARGE, "size " + size + " exceeds the largest file " + maxFileSize);
        }
        if (!writeQuorumReachable()) {
            throw new FsException(ErrorCode.IO, "fewer than Qw data servers are reachable: data is read-only until they return");
        }
        for (int attempt = 1; ; attempt++) {
            int cut = (int) (size % blockSize);
            int index = (int) (size / blockSize);
            Optional<BlockCommit> tail = Optional.empty();
            if (cut != 0) {
                Optional<BlockStatus> st = blockStatus(ino, index);
                if (st.isPresent() && st.get().block().length() > cut) {
                    byte[] data = Arrays.copyOf(readBlock(ino, st.get()), cut);
                    tail = Optional.of(writer.store(ino, index, data, st.get().block().version()));
                }
            }
            Truncation r;
            try {
                r = Truncation.fromWire(meta.truncate(id(ino), Wire.ofLong(size),
                        tail.map(BlockCommit::toWire).orElse(Collections.emptyMap())));
            } catch (FsException e) {
                tail.ifPresent(t -> writer.discardEverywhere(ino, t.block()));
                if (e.code() != ErrorCode.VERSION_CONFLICT || attempt == CAS_TRIES) {
                    throw e;
                }
                backOff(attempt);
                continue;
            }
            tail.ifPresent(t -> prune(ino, t.block().index(), t.block().version()));
            for (BlockRecord b : r.dropped()) {
                prune(ino, b.index(), b.version() + 1);
            }
            return r.attributes();
        }
    }

    @Override
    public void close() {
        freedInodes.close();
        replicas.close();
        log.info("mediator closed: {}", stats);
    }

    private Optional<BlockStatus> blockStatus(long ino, int index) {
        List<BlockStatus> l = blocks(ino, index, 1);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
    }

    /** A random pause growing with the attempt, so that a writer that lost a race is not starved. */
    private static void backOff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextInt(1, 2 + Math.min(attempt, 10) * 5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsException(ErrorCode.IO, "interrupted");
        }
    }

    private void checkRange(long offset, long length) {
        if (offset < 0) {
            throw FsException.invalid("offset must not be negative");
        }
        if (offset + length > maxFileSize) {
            throw new FsException(ErrorCode.FILE_TOO_LARGE, "write past the largest file " + maxFileSize);
        }
    }

    private void prune(long ino, int index, long below) {
        replicas.bestEffortEverywhere("prune", ds -> ds.prune(id(ino), index, Wire.ofLong(below)));
    }

    /** Deletes, in the background and in batches, the replicas of a file whose last link went; servers that are down keep them (the healer's walk deletes them). */
    private void freed(String ino) {
        freed(Wire.nonNegativeLong(ino, "freed inode"));
    }

    private void freed(long n) {
        if (n != 0) {
            freedInodes.add(n);
        }
    }

    private static String id(long n) {
        return Wire.ofLong(n);
    }
}
