package org.quorumfs.client;

import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.PointerByReference;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * libfuse's request loop run by our own Java threads, in place of fuse_main's.
 *
 * <p>Why: under fuse_main every callback arrives on a thread libfuse created, and jffi attaches
 * such a thread to the JVM and detaches it again around each of its first 1,000 callbacks (jffi
 * 1.3's ClosureMagazine, ~150 us a time; profiled at 6-8 % of a fresh client's CPU, and libfuse
 * starts new threads whenever its pool drains). A thread of ours is attached for its whole life,
 * so a callback costs no attach. The loop is the one of libfuse 2.9's fuse_loop_mt: each worker
 * reads a request with fuse_session_receive_buf and runs it with fuse_session_process_buf; a new
 * worker starts when none is left waiting for a request (so a callback that blocks, e.g. on a
 * meta-server being restarted, never stops the others), and a worker ends when more than
 * {@link #MAX_IDLE} wait.
 */
final class FuseSessionLoop {
    private static final Logger log = LoggerFactory.getLogger(FuseSessionLoop.class);
    /** libfuse's own bound on idle workers (fuse_loop_mt.c). */
    private static final int MAX_IDLE = 10;
    /** A bound libfuse does not have: a runaway of blocked callbacks ends here, not in memory exhaustion. */
    private static final int MAX_WORKERS = 512;
    private static final int EINTR = 4;
    /** struct fuse_buf of libfuse 2.9 on LP64: size_t size; enum flags; void *mem; int fd; off_t pos. */
    private static final int FUSE_BUF_SIZE = 40;
    private static final int FUSE_BUF_MEM = 16;
    private static final int FUSE_BUF_FLAGS = 8;
    /**
     * struct fuse_chan of libfuse 2.9 on LP64 (private to fuse_session.c): the ops (receive, send,
     * destroy), the session, the device's fd, its buffer size.
     */
    private static final int CHAN_SEND = 8;
    private static final int CHAN_SESSION = 24;
    private static final int CHAN_FD = 32;
    private static final int CHAN_BUFSIZE = 40;
    private static final int ENOENT = 2;
    private static final int FUSE_INIT = 26;
    private static final int FUSE_READ = 15;
    /** struct fuse_bufvec of libfuse 2.9 on LP64: count, idx, off, then one struct fuse_buf. */
    private static final int BUFVEC_SIZE = 24 + FUSE_BUF_SIZE;
    /**
     * The largest read or write the kernel sends in one request. libfuse 2.9 knows nothing past
     * protocol 7.19, so the kernel's default of 32 pages (128 KiB) held, and a 1 MiB write or
     * read-ahead was 8 requests, each a trip through the device, a worker and a callback; the
     * loop asks for more in libfuse's answer to INIT ({@link #widenInit}).
     */
    static final int MAX_REQUEST = 1 << 20;
    /** struct fuse_init_out of protocol 7.28 on: flags, max_write, max_pages and the whole struct's size. */
    static final int INIT_OUT_FLAGS = 12;
    static final int INIT_OUT_MAX_WRITE = 20;
    static final int INIT_OUT_MAX_PAGES = 28;
    static final int INIT_OUT_SIZE = 64;
    /** libfuse 2.9's answer (protocol 7.19) ends before time_gran. */
    static final int INIT_OUT_SIZE_7_19 = 24;
    /** struct fuse_init_in: major, minor, max_readahead, flags, after the 40-byte fuse_in_header. */
    static final int INIT_IN_FLAGS = 40 + 12;
    static final int FUSE_MAX_PAGES = 1 << 22;
    static final int OUT_HEADER_SIZE = 16;

    /** The part of libfuse 2.9's API beneath fuse_main (fuse.h, fuse_lowlevel.h). */
    public interface LibFuseSession {
        Pointer fuse_setup(int argc, Pointer argv, Pointer op, @size_t long opSize, PointerByReference mountpoint,
                           IntByReference multithreaded, Pointer userData);

        void fuse_teardown(Pointer fuse, Pointer mountpoint);

        Pointer fuse_get_session(Pointer fuse);

        Pointer fuse_session_next_chan(Pointer session, Pointer chan);

        @size_t long fuse_chan_bufsize(Pointer chan);

        int fuse_session_receive_buf(Pointer session, Pointer buf, Pointer chanp);

        void fuse_session_process_buf(Pointer session, Pointer buf, Pointer chan);

        int fuse_session_exited(Pointer session);

        void fuse_session_exit(Pointer session);

        int fuse_start_cleanup_thread(Pointer fuse);

        void fuse_stop_cleanup_thread(Pointer fuse);

        int fuse_chan_fd(Pointer chan);

        int fuse_lowlevel_notify_inval_inode(Pointer chan, long nodeid, @off_t long offset, @off_t long length);

        int fuse_lowlevel_notify_store(Pointer chan, long nodeid, @off_t long offset, Pointer bufv, int flags);
    }

    /** writev(2), for answers the loop writes itself (see {@link #hookSend}). */
    public interface LibC {
        @SaveError
        @ssize_t long writev(int fd, Pointer iov, int count);
    }

    /** libfuse 2.9's fuse_chan_ops.send: int (*)(struct fuse_chan *, const struct iovec *, size_t). */
    public interface ChanSend {
        @Delegate
        int send(Pointer chan, Pointer iov, @size_t long count);
    }

    private final LibFuseSession lib;
    private final LibC libc;
    private final Runtime runtime;
    private final AttributeGrants grants;
    /** The hook installed as the channel's send, held here so that its native stub lives as long as the mount. */
    private ChanSend sendHook;
    private Pointer sendStub;
    private int fd = -1;
    private final Object lock = new Object();
    private int workers;
    private int started;
    private int idle;
    private boolean failed;
    private boolean interrupted;
    private Pointer session;
    private Pointer chan;
    private long bufSize;
    /** The widened answer to INIT, held so that nothing frees it while writev reads it. */
    private Pointer initAnswer;
    /** The INIT request's unique id while its answer is due, else 0 (ids start at 1). */
    private volatile long initUnique;
    /** The flags the kernel offered in its INIT (fuse_init_in.flags). */
    private volatile int initOffered;

    private final KernelPages pages;
    private final ReadOnlyOpens readOnlyOpens;
    private final SuidKills suidKills;
    /** Per worker: a fuse_bufvec and the bytes of a page fill ({@link #store}). */
    private final ThreadLocal<Pointer> storeBuffers = new ThreadLocal<>();

    FuseSessionLoop(AttributeGrants grants, KernelPages pages, ReadOnlyOpens readOnlyOpens, SuidKills suidKills) {
        this.grants = grants;
        this.pages = pages;
        this.readOnlyOpens = readOnlyOpens;
        this.suidKills = suidKills;
        LibFuseSession loaded;
        try {
            loaded = LibraryLoader.create(LibFuseSession.class).failImmediately().load("fuse");
        } catch (LinkageError | RuntimeException e) {
            loaded = LibraryLoader.create(LibFuseSession.class).failImmediately().load("libfuse.so.2");
        }
        this.lib = loaded;
        this.runtime = Runtime.getRuntime(loaded);
        this.libc = LibraryLoader.create(LibC.class).failImmediately().load("c");
    }

    /**
     * Mounts with {@code args} (as fuse_main takes them, with -f), serves requests until the
     * filesystem is unmounted, and unmounts. Returns 0, or 1 when the mount failed or the loop
     * ended on an error (as fuse_main does).
     */
    int run(String[] args, Pointer operations, long operationsSize) {
        List<Pointer> keep = new ArrayList<>(); // argv and its strings stay alive until the teardown
        Pointer argv = Memory.allocateDirect(runtime, (args.length + 1) * 8L, true);
        keep.add(argv);
        for (int i = 0; i < args.length; i++) {
            byte[] bytes = args[i].getBytes(StandardCharsets.UTF_8);
            Pointer s = Memory.allocateDirect(runtime, bytes.length + 1, true);
            s.put(0, bytes, 0, bytes.length);
            keep.add(s);
            argv.putAddress(i * 8L, s.address());
        }
        PointerByReference mountpoint = new PointerByReference();
        Pointer fuse = lib.fuse_setup(args.length, argv, operations, operationsSize, mountpoint, new IntByReference(),
                null);
        if (fuse == null) {
            return 1;
        }
        if (lib.fuse_start_cleanup_thread(fuse) != 0) {
            lib.fuse_teardown(fuse, mountpoint.getValue());
            return 1;
        }
        session = lib.fuse_get_session(fuse);
        chan = lib.fuse_session_next_chan(session, null);
        bufSize = lib.fuse_chan_bufsize(chan);
        hookSend();
        if (fd >= 0) {
            // The kernel refuses to hand a request to a buffer that could not hold its largest write.
            bufSize = Math.max(bufSize, MAX_REQUEST + 4096L);
        }
        synchronized (lock) {
            startWorker();
            while (workers > 0 && !failed) {
                awaitChange(0);
            }
        }
        if (failed) {
            // Workers still blocked reading the device would read it forever: unmounting wakes them.
            unmountLazily(mountpoint.getValue().getString(0));
            long deadline = System.nanoTime() + 10_000_000_000L;
            synchronized (lock) {
                while (workers > 0 && System.nanoTime() < deadline) {
                    awaitChange(1_000);
                }
                if (workers > 0) {
                    log.error("{} FUSE workers did not stop; leaving the session as it is", workers);
                    return 1; // tearing down under them would free what they still use
                }
            }
        }
        lib.fuse_stop_cleanup_thread(fuse);
        lib.fuse_teardown(fuse, mountpoint.getValue());
        keep.clear();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return failed ? 1 : 0;
    }

    /**
     * Called holding {@link #lock}; 0 waits until notified. An interrupt is remembered, not acted
     * on (the loop ends with the mount, never on our say), and not set again at once, which would
     * make every later wait return at once.
     */
    private void awaitChange(long millis) {
        try {
            lock.wait(millis);
        } catch (InterruptedException e) {
            interrupted = true;
        }
    }

    /** Detaches the mount at once even when busy (fusermount -u -z), as jnr-fuse's own unmount does. */
    static void unmountLazily(String mountpoint) {
        try {
            new ProcessBuilder("fusermount", "-u", "-z", mountpoint).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (java.io.IOException e) {
            log.error("cannot unmount {}: {}", mountpoint, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Puts {@link #sendHook} in place of libfuse's own send in the channel, so that every answer passes
     * {@link AttributeGrants#reply} on its way to the device, and lets grants be taken back.
     * libfuse 2.9 has no API for it: the struct is checked against what the API tells of it
     * first, and left alone (attributes then never kept, as the mount options say) if it differs.
     */
    private void hookSend() {
        int chanFd = lib.fuse_chan_fd(chan);
        if (chanFd < 0 || chan.getInt(CHAN_FD) != chanFd || chan.getLong(CHAN_BUFSIZE) != bufSize
                || chan.getAddress(CHAN_SESSION) != session.address() || chan.getAddress(CHAN_SEND) == 0) {
            log.warn("libfuse's channel is not laid out as libfuse 2.9's: the kernel will not keep attributes");
            return;
        }
        fd = chanFd;
        sendHook = new ChanSend() {
            @Override
            public int send(Pointer ch, Pointer iov, long count) {
                return FuseSessionLoop.this.send(iov, count);
            }
        };
        sendStub = runtime.getClosureManager().getClosurePointer(ChanSend.class, sendHook);
        chan.putAddress(CHAN_SEND, sendStub.address());
        grants.invalidateWith(this::invalidate);
        pages.storeWith(this::store);
    }

    /** Hands bytes to the kernel's page cache of node {@code nodeid} (fuse_lowlevel_notify_store); 0 or -errno. */
    private int store(long nodeid, long offset, byte[] data, int from, int length) {
        if (length > KernelPages.MAX_FILL) {
            throw new IllegalArgumentException("a page fill of " + length + " bytes");
        }
        Pointer b = storeBuffers.get();
        if (b == null) {
            b = Memory.allocateDirect(runtime, BUFVEC_SIZE + KernelPages.MAX_FILL, false);
            storeBuffers.set(b);
        }
        Pointer bytes = b.slice(BUFVEC_SIZE);
        bytes.put(0, data, from, length);
        b.putLong(0, 1); // count
        b.putLong(8, 0); // idx
        b.putLong(16, 0); // off
        b.putLong(24, length); // buf[0].size
        b.putInt(24 + FUSE_BUF_FLAGS, 0); // in memory
        b.putAddress(24 + FUSE_BUF_MEM, bytes.address());
        b.putInt(24 + 24, -1); // fd
        b.putLong(24 + 32, 0); // pos
        return lib.fuse_lowlevel_notify_store(chan, nodeid, offset, b, 0);
    }

    /** What libfuse 2.9's fuse_kern_chan_send does, after the grants saw the answer. */
    private int send(Pointer iov, long count) {
        try {
            grants.reply(iov, count);
            readOnlyOpens.reply(iov, count);
        } catch (RuntimeException e) {
            log.error("looking at an answer to the kernel failed; it goes as it was", e);
        }
        if (initUnique != 0 && count == 2 && iov.getPointer(0).getLong(8) == initUnique) {
            initUnique = 0;
            Pointer widened = widenInit(runtime, iov, initOffered);
            if (widened != null) {
                initAnswer = widened; // reachable until writev has read it
                iov = widened;
                count = 1;
                log.info("the kernel may send reads and writes of up to {} KiB; set-ID bits are cleared {}",
                        MAX_REQUEST >> 10, (initOffered & SuidKills.FUSE_HANDLE_KILLPRIV_V2) != 0 ? "here" : "by the kernel");
            } else {
                log.warn("libfuse's answer to INIT is not laid out as libfuse 2.9's: requests stay at 128 KiB");
            }
        }
        if (libc.writev(fd, iov, (int) count) >= 0) {
            return 0;
        }
        int errno = LastError.getLastError(runtime);
        // ENOENT: the request was interrupted and the kernel no longer waits for its answer.
        if (errno != ENOENT && lib.fuse_session_exited(session) == 0) {
            log.warn("writing to the FUSE device failed: errno {}", errno);
        }
        return -errno;
    }

    /**
     * libfuse's successful answer to INIT ({@code iov}: its header and its 7.19 fuse_init_out) as
     * one buffer of protocol 7.28's larger struct that also asks for requests of up to
     * {@link #MAX_REQUEST} bytes (FUSE_MAX_PAGES; the kernel takes it from any minor version, and
     * reads the rest of a shorter struct as zeros) and, when the kernel {@code offered} it in its
     * INIT, takes over clearing set-ID bits ({@link SuidKills}), or null to send libfuse's answer as it is. The
     * result is one iovec (16 bytes) followed by the answer it points at.
     */
    static Pointer widenInit(Runtime runtime, Pointer iov, int offered) {
        Pointer header = iov.getPointer(0);
        Pointer body = iov.getPointer(16);
        if (iov.getLong(8) != OUT_HEADER_SIZE || header.getInt(0) != OUT_HEADER_SIZE + INIT_OUT_SIZE_7_19
                || header.getInt(4) != 0 || iov.getLong(24) != INIT_OUT_SIZE_7_19) {
            return null;
        }
        Pointer out = Memory.allocateDirect(runtime, 16 + OUT_HEADER_SIZE + INIT_OUT_SIZE, true);
        Pointer answer = out.slice(16);
        answer.transferFrom(0, header, 0, OUT_HEADER_SIZE);
        answer.putInt(0, OUT_HEADER_SIZE + INIT_OUT_SIZE);
        Pointer init = answer.slice(OUT_HEADER_SIZE);
        init.transferFrom(0, body, 0, INIT_OUT_SIZE_7_19);
        init.putInt(INIT_OUT_FLAGS, init.getInt(INIT_OUT_FLAGS) | FUSE_MAX_PAGES | (offered & SuidKills.FUSE_HANDLE_KILLPRIV_V2));
        init.putInt(INIT_OUT_MAX_WRITE, MAX_REQUEST);
        init.putShort(INIT_OUT_MAX_PAGES, (short) (MAX_REQUEST / 4096));
        out.putAddress(0, answer.address());
        out.putLong(8, OUT_HEADER_SIZE + INIT_OUT_SIZE);
        return out;
    }

    /** Tells the kernel to ask for node {@code nodeid}'s attributes again (its pages stay). */
    private void invalidate(long nodeid) {
        int res = lib.fuse_lowlevel_notify_inval_inode(chan, nodeid, -1, 0);
        if (res != 0 && res != -ENOENT) { // ENOENT: the kernel has dropped the node already
            log.warn("taking back the attributes of node {} failed: errno {}", nodeid, -res);
        }
    }

    /** Called holding {@link #lock}. */
    private void startWorker() {
        workers++;
        idle++;
        Thread t = new Thread(this::serve, "fuse-" + ++started);
        t.setDaemon(true);
        t.start();
    }

    private void serve() {
        Pointer buf = Memory.allocateDirect(runtime, FUSE_BUF_SIZE, true);
        Pointer mem = Memory.allocateDirect(runtime, bufSize, false);
        Pointer chanp = Memory.allocateDirect(runtime, 8, true);
        boolean countedIdle = true;
        try {
            while (lib.fuse_session_exited(session) == 0) {
                buf.setMemory(0, FUSE_BUF_SIZE, (byte) 0);
                buf.putLong(0, bufSize);
                buf.putAddress(FUSE_BUF_MEM, mem.address());
                chanp.putAddress(0, chan.address());
                int res = lib.fuse_session_receive_buf(session, buf, chanp);
                if (res == -EINTR) {
                    continue;
                }
                if (res <= 0) { // 0: unmounted (libfuse has marked the session exited); < 0: the device failed
                    if (res < 0) {
                        log.error("reading a FUSE request failed: errno {}", -res);
                        lib.fuse_session_exit(session);
                        synchronized (lock) {
                            failed = true;
                        }
                    }
                    return;
                }
                synchronized (lock) {
                    countedIdle = false;
                    if (--idle == 0 && workers < MAX_WORKERS) {
                        startWorker();
                    }
                }
                if (buf.getInt(FUSE_BUF_FLAGS) == 0 && buf.getAddress(FUSE_BUF_MEM) == mem.address() && res >= 40) {
                    // struct fuse_in_header: len, opcode, unique, nodeid, ...
                    int opcode = mem.getInt(4);
                    grants.serving(opcode, mem.getLong(8), mem.getLong(16));
                    pages.serving(opcode == FUSE_READ ? mem.getLong(16) : 0);
                    readOnlyOpens.serving(mem, res);
                    suidKills.serving(mem, res);
                    if (opcode == FUSE_INIT) {
                        initOffered = res >= INIT_IN_FLAGS + 4 ? mem.getInt(INIT_IN_FLAGS) : 0;
                        initUnique = mem.getLong(8);
                    }
                } else {
                    grants.serving(0, 0, 0);
                    pages.serving(0);
                    readOnlyOpens.servingOther();
                    suidKills.servingOther();
                }
                lib.fuse_session_process_buf(session, buf, chanp.getPointer(0));
                pages.answered();
                synchronized (lock) {
                    if (idle >= MAX_IDLE) {
                        return;
                    }
                    idle++;
                    countedIdle = true;
                }
            }
        } finally {
            synchronized (lock) {
                workers--;
                if (countedIdle) {
                    idle--;
                }
                lock.notifyAll();
            }
        }
    }
}
