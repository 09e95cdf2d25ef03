package org.quorumfs.client;

import org.quorumfs.common.rpc.SecurityOptions;
import com.google.common.net.HostAndPort;
import org.quorumfs.common.protocol.DataService;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.rpc.RpcClient;
import org.quorumfs.common.rpc.RpcTimeouts;
import org.quorumfs.mediator.Mediator;
import org.quorumfs.mediator.MediatorConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import org.quorumfs.mediator.cli.ClusterOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code scripts/mount MOUNTPOINT --meta PORT --data P1,P2,... --qr R --qw W}: mounts QuorumFS and
 * serves it until unmounted ({@code fusermount -u}) or stopped (SIGTERM unmounts cleanly).
 */
@Command(name = "mount", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Mounts QuorumFS at MOUNTPOINT and serves it in the foreground until unmounted.")
public final class MountMain implements Callable<Integer> {
    @Mixin
    SecurityOptions security;

    private static final Logger log = LoggerFactory.getLogger(MountMain.class);
    static final int EXIT_BAD_ARGUMENTS = 2;
    static final int EXIT_CLUSTER_UNREACHABLE = 3;
    static final int EXIT_NO_FUSE = 4;
    /** How long a terminated client may take to write out what it buffered before the JVM halts. */
    private static final Duration SHUTDOWN_FLUSH_WAIT = Duration.ofSeconds(60);

    /**
     * Mount options, chosen by measurement (see the README): 128 KiB writes instead of 4 KiB
     * (about 6x the write throughput; our loop then asks the kernel for requests of up to 1 MiB,
     * {@link FuseSessionLoop#MAX_REQUEST}, which libfuse 2.9 cannot), no dead mount left behind
     * when the client is killed, other users allowed, modes checked by the client
     * ({@link Permissions}: the kernel's checks cost a round trip per directory on every path),
     * our inode numbers in st_ino (hard links recognizable by tar and find), attributes not cached by the
     * kernel (high-level libfuse gives each path of a hard-linked file its own kernel node, so a
     * cached link count or size goes stale; {@link AttributeGrants} lets it keep those of files
     * with one name, answer by answer), and a name in /proc/mounts. No hard_remove: libfuse then
     * keeps a path for an open file unlinked here (its .fuse_hidden rename becomes a real unlink
     * at the meta-server, see PathResolver), and the kernel's fstat, which sends no handle, still
     * reaches it. negative_timeout: the kernel keeps a name found absent as long as it keeps an
     * attribute answer ({@link AttributeGrants#KEPT}), so a program that stats a name several times
     * before creating it (unzip: five lookups per file) asks once; another mount's new file shows
     * here up to that long after this mount last found the name absent.
     */
    static final List<String> FUSE_OPTIONS = List.of("-o", "big_writes,max_write=131072,auto_unmount,allow_other,"
            + "use_ino,attr_timeout=0,entry_timeout=1,negative_timeout=" + AttributeGrants.KEPT.toMillis() / 1000.0
            + ",fsname=quorumfs,subtype=quorumfs");

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "An existing, empty directory.")
    Path mountPoint;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--read-all", description = "The seed's reads: fetch every block from all N servers and verify every replica.")
    boolean readAll;

    @Option(names = "--warn-on-write-quorum-loss",
            description = "The seed's writes: commit a block stored on fewer than Qw servers (but at least one) with a warning instead of failing with EIO.")
    boolean warnOnWriteQuorumLoss;

    @Option(names = "--write-cache-mb", paramLabel = "MIB", defaultValue = "128",
            description = "The mount's write-back cache: dirty data held before it is written out (default 128 MiB; fsync and close write it out at once).")
    long writeCacheMb;

    @Option(names = "--read-cache-mb", paramLabel = "MIB", defaultValue = "64",
            description = "Verified pieces kept for reads that are not sequential (default 64 MiB).")
    long readCacheMb;

    @Option(names = "--debug", description = "libfuse debug output.")
    boolean debug;

    @Override
    public Integer call() {
        MediatorConfig config;
        try {
            config = cluster.config().withSeedModes(warnOnWriteQuorumLoss, readAll);
            org.quorumfs.common.rpc.ClusterKey.ofThisProcess(); // a bad key file is a clear error here, not at the first call
            if (writeCacheMb < 1 || writeCacheMb > 1 << 20) {
                throw new IllegalArgumentException("--write-cache-mb must be 1..1048576, got " + writeCacheMb);
            }
            if (readCacheMb < 0 || readCacheMb > 1 << 20) {
                throw new IllegalArgumentException("--read-cache-mb must be 0..1048576, got " + readCacheMb);
            }
            checkMountPoint(mountPoint);
        } catch (IllegalArgumentException | IOException e) {
            return fail(EXIT_BAD_ARGUMENTS, e.getMessage());
        }
        Mediator mediator;
        try {
            mediator = Mediator.connect(config);
        } catch (FsException e) {
            if (e.code() == ErrorCode.UNAUTHENTICATED) {
                return fail(EXIT_CLUSTER_UNREACHABLE, "the meta-server at " + config.meta()
                        + " refused this client (is --key-file the cluster's key?): " + e.getMessage());
            }
            return fail(EXIT_CLUSTER_UNREACHABLE, "cannot reach the meta-server at " + config.meta()
                    + " (is scripts/metaserver running, and do both sides use TLS or neither?): " + e.getMessage());
        }
        int answering = pingDataServers(config);
        if (answering == 0) {
            mediator.close();
            return fail(EXIT_CLUSTER_UNREACHABLE, "none of the data servers " + config.data()
                    + " answers (is scripts/dataserver running?)");
        }
        QuorumFuse fs;
        try {
            fs = new QuorumFuse(mediator, Duration.ofSeconds(1), writeCacheMb << 20, readCacheMb << 20);
        } catch (LinkageError e) {
            mediator.close();
            return fail(EXIT_NO_FUSE, "libfuse2 is missing: run  apt-get install -y libfuse2 fuse3  (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            mediator.close();
            return fail(EXIT_BAD_ARGUMENTS, e.getMessage()); // e.g. a write-back cache smaller than a block
        } catch (FsException e) {
            mediator.close();
            return fail(EXIT_CLUSTER_UNREACHABLE, "cannot open a session at the meta-server: " + e.getMessage());
        }
        List<String> options = new ArrayList<>(FUSE_OPTIONS);
        log.info("mounting {} (Qr {}, Qw {}, {} of {} data servers answering)", mountPoint, config.qr(), config.qw(), answering,
                config.data().size());
        // On SIGTERM the JVM halts once its shutdown hooks end: this one unmounts (ending the loop) and
        // waits until what was buffered is written out, so a terminated client loses nothing acknowledged.
        CountDownLatch flushed = new CountDownLatch(1);
        Thread unmountOnExit = new Thread(() -> {
            FuseSessionLoop.unmountLazily(mountPoint.toAbsolutePath().toString());
            try {
                flushed.await(SHUTDOWN_FLUSH_WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "unmount-on-exit");
        Runtime.getRuntime().addShutdownHook(unmountOnExit);
        int served = fs.serve(mountPoint, debug, options);
        fs.flushAll();
        mediator.close();
        flushed.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(unmountOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it has unmounted and now sees the flush done
        }
        if (served != 0) {
            return fail(EXIT_NO_FUSE, "mount failed or ended on an error at " + mountPoint + " (see the messages above)");
        }
        log.info("unmounted {}", mountPoint);
        return 0;
    }

    private static int pingDataServers(MediatorConfig config) {
        int answering = 0;
        for (HostAndPort endpoint : config.data()) {
            try {
                new RpcClient(endpoint, new RpcTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2)))
                        .proxy(DataService.class).ping();
                answering++;
            } catch (FsException e) {
                System.err.println("mount: warning: data server " + endpoint + " does not answer; it will be healed when it returns");
            }
        }
        return answering;
    }

    private static void checkMountPoint(Path p) throws IOException {
        if (!Files.isDirectory(p)) {
            throw new IOException("mountpoint " + p + " is not an existing directory (mkdir -p " + p + ")");
        }
        String real = p.toRealPath().toString();
        for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 1 && f[1].equals(real)) {
                throw new IOException("mountpoint " + p + " is busy: something is mounted there (fusermount -u " + p + ")");
            }
        }
        try (var entries = Files.list(p)) {
            if (entries.findAny().isPresent()) {
                throw new IOException("mountpoint " + p + " is not empty");
            }
        }
    }

    private static int fail(int code, String message) {
        System.err.println("mount: " + message);
        return code;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new MountMain()).execute(args));
    }
}
