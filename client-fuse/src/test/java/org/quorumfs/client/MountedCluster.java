package org.quorumfs.client;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A cluster started exactly as a user starts one, with the scripts in {@code scripts/}: a
 * meta-server, N data servers and a FUSE mount, under a private {@code var/} directory. Tests
 * drive the mount with shell commands; {@link #close()} unmounts and kills, by pid, only what this
 * fixture started.
 */
final class MountedCluster implements AutoCloseable {
    static final Path ROOT = locateRoot();
    /**
     * {@code freeze-process PID}: SIGSTOP that returns once every thread of the process stopped. A
     * bare {@code kill -STOP} returns before that, and the process may still answer a call.
     */
    static final Path FREEZE = ROOT.resolve("client-fuse/src/test/sh/freeze-process");

    final Path var;
    final Path mnt;
    final int metaPort;
    final List<Integer> dataPorts;
    private final String mountOptions;

    /** A shell command's outcome. */
    record Result(int exit, String out, String err) {
        Result ok() {
            if (exit != 0) {
                throw new AssertionError("exit " + exit + "\nstdout: " + out + "\nstderr: " + err);
            }
            return this;
        }
    }

    private MountedCluster(Path dir, int n, String mountOptions) throws IOException {
        this.var = dir.resolve("var");
        this.mnt = dir.resolve("mnt");
        this.mountOptions = mountOptions;
        Files.createDirectories(mnt);
        List<Integer> ports = freePorts(n + 1);
        this.metaPort = ports.get(0);
        this.dataPorts = List.copyOf(ports.subList(1, n + 1));
    }

    /** Starts servers and mounts with Qr=2, Qw=2 and {@code mountOptions} added. */
    static MountedCluster start(Path dir, int n, String mountOptions) throws IOException {
        return start(dir, n, mountOptions, "");
    }

    /** {@link #start(Path, int, String)}, the meta-server started with {@code metaOptions} added. */
    static MountedCluster start(Path dir, int n, String mountOptions, String metaOptions) throws IOException {
        MountedCluster c = new MountedCluster(dir, n, mountOptions);
        try {
            c.script("metaserver " + c.metaPort + " --background " + metaOptions).ok();
            c.script("dataserver " + c.dataPortList(" ") + " --background").ok();
            c.mount().ok();
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
        return c;
    }

    Result mount() {
        return mountAt(mnt);
    }

    /** Mounts the cluster (again) at {@code at}: a second client, as on another machine. */
    Result mountAt(Path at) {
        return mountAt(at, "");
    }

    /** {@link #mountAt(Path)}, the client's JVM given {@code javaOptions} too. */
    Result mountAt(Path at, String javaOptions) {
        return bash("QFS_JAVA_OPTS_EXTRA='" + javaOptions + "' " + ROOT.resolve("scripts") + "/mount " + at + " --meta "
                + metaPort + " --data " + dataPortList(",") + " --qr 2 --qw 2 " + mountOptions);
    }

    /**
     * Unmounts {@code at} if anything is mounted there (for a test's cleanup), a mount whose client
     * died too: /proc/mounts decides, as mountpoint(1) cannot stat a dead FUSE mount, and a dead one
     * that is still busy is detached lazily.
     */
    Result unmountIfMounted(Path at) {
        return bash("grep -q ' " + at + " fuse' /proc/mounts || exit 0; " + ROOT + "/scripts/umount " + at
                + " || fusermount -u -z " + at);
    }

    /** The pid of the client serving mountpoint {@code at}, from its pid file. */
    long clientPid(Path at) {
        return Long.parseLong(bash("cat \"$QFS_VAR/run/" + clientFileName(at) + ".pid\"").ok().out().trim());
    }

    /** The counts the client of mountpoint {@code at} logged when it last unmounted ("mediator closed: ..."). */
    String clientCountsAtUnmount(Path at) {
        return bash("grep 'mediator closed' \"$QFS_VAR/log/" + clientFileName(at) + ".log\" | tail -1").ok().out();
    }

    /**
     * What the client of mountpoint {@code at} logged of its reads, page fills and closes without
     * a flush when it last unmounted.
     */
    String readCountsAtUnmount(Path at) {
        return bash("grep 'pages handed to the kernel' \"$QFS_VAR/log/" + clientFileName(at) + ".log\" | tail -1").ok().out();
    }

    /** A shell word: the name the scripts give the pid and log files of the client of {@code at}. */
    private static String clientFileName(Path at) {
        return "mount-$(realpath -m " + at + " | sed 's#[^A-Za-z0-9._-]#_#g')";
    }

    Result umount() {
        return script("umount " + mnt);
    }

    String dataPortList(String sep) {
        return dataPorts.stream().map(String::valueOf).collect(Collectors.joining(sep));
    }

    /** Runs {@code scripts/<command>} with this cluster's var/ directory. */
    Result script(String command) {
        return bash(ROOT.resolve("scripts") + "/" + command);
    }

    /** Runs a shell command in the mountpoint, as a user would, with a bound on its time. */
    Result sh(String command) {
        return bash("cd " + mnt + " && " + command);
    }

    /** {@link #sh}'s output, the command required to succeed. */
    String out(String command) {
        return sh(command).ok().out();
    }

    /** The pid of data server {@code i}, from its pid file. */
    long dataServerPid(int i) throws IOException {
        return Long.parseLong(Files.readString(var.resolve("run/" + dataPorts.get(i) + ".pid")).trim());
    }

    /**
     * Runs a shell command with this cluster's var/ directory ({@code $QFS_VAR}, {@code $VAR}), its
     * mountpoint ({@code $MNT}) and {@code $FREEZE}: {@link #FREEZE}'s path, to hang a process.
     */
    Result bash(String command) {
        return shell(command, Map.of("QFS_VAR", var.toString(), "MNT", mnt.toString(), "VAR", var.toString(),
                "FREEZE", FREEZE.toString()));
    }

    /** Runs a shell command with {@code extraEnv} added, with a bound on its time. */
    static Result shell(String command, Map<String, String> extraEnv) {
        try {
            ProcessBuilder pb = new ProcessBuilder("bash", "-c", command);
            pb.environment().putAll(extraEnv);
            Path out = Files.createTempFile("sh", ".out");
            Path err = Files.createTempFile("sh", ".err");
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + command);
            }
            Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.delete(out);
            Files.delete(err);
            return r;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A shell glob of the replica files of a file's blocks on data server {@code i}, found by the file's inode. */
    String replicas(int i, String file) {
        long ino = Long.parseLong(sh("stat -c %i '" + file + "'").ok().out().trim());
        return var.resolve("dataserver-" + dataPorts.get(i)).resolve("blocks").resolve(String.format("%012x", ino >>> 12))
                + String.format("/%016x.*", ino);
    }

    boolean mounted() throws IOException {
        String real = mnt.toRealPath().toString();
        return Files.readAllLines(Path.of("/proc/mounts")).stream().anyMatch(l -> l.contains(" " + real + " fuse"));
    }

    @Override
    public void close() {
        try {
            if (mounted()) {
                umount();
            }
        } catch (IOException e) {
            // fall through to killing what we started
        }
        keepLogs();
        Path run = var.resolve("run");
        if (Files.isDirectory(run)) {
            try (var pids = Files.list(run)) {
                for (Path f : pids.filter(p -> p.toString().endsWith(".pid")).toList()) {
                    long pid = Long.parseLong(Files.readString(f).trim());
                    ProcessHandle.of(pid).ifPresent(ph -> {
                        if (ph.info().commandLine().orElse("").contains("org.quorumfs")) {
                            ph.destroyForcibly();
                            awaitExit(pid);
                        }
                    });
                    Files.deleteIfExists(f);
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    /**
     * Waits until a killed process is gone or a zombie. Our processes are orphans (the scripts
     * detach them), reaped by pid 1 whenever it gets to it; {@code ProcessHandle.onExit} would
     * wait for that too, seconds per process here.
     */
    private static void awaitExit(long pid) {
        Path stat = Path.of("/proc/" + pid + "/stat");
        for (int i = 0; i < 500; i++) {
            try {
                String s = Files.readString(stat);
                if (s.substring(s.lastIndexOf(')') + 2).startsWith("Z")) {
                    return;
                }
                Thread.sleep(20);
            } catch (IOException gone) {
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new AssertionError("process " + pid + " still runs 10 s after kill -9");
    }

    /** Copies the servers' and the client's logs to target/e2e-logs/, so a failure in CI can be read. */
    private void keepLogs() {
        Path logs = var.resolve("log");
        Path keep = ROOT.resolve("client-fuse/target/e2e-logs").resolve(var.getParent().getFileName().toString());
        try (var files = Files.list(logs)) {
            Files.createDirectories(keep);
            for (Path f : files.toList()) {
                Files.copy(f, keep.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // no logs (nothing started) or no target/: nothing to keep
        }
    }

    /** Five consecutive free ports below the ephemeral range. */
    static int freeBase() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 30_000);
            boolean free = true;
            for (int p = base; p < base + 5 && free; p++) {
                try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                    s.setReuseAddress(true);
                } catch (IOException taken) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IOException("no five consecutive free ports found");
    }

    static int freePort() throws IOException {
        return freePorts(1).get(0);
    }

    /**
     * {@code n} distinct free ports below the ephemeral range (32768 and up here), so that no
     * outgoing connection of another test takes one between this choice and the server's bind.
     * The scripts take explicit ports (as a user gives them); all are held open together while
     * chosen, so none is chosen twice.
     */
    static List<Integer> freePorts(int n) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            List<Integer> ports = new ArrayList<>();
            for (int attempt = 0; ports.size() < n && attempt < 1000; attempt++) {
                int p = ThreadLocalRandom.current().nextInt(20_000, 30_000);
                try {
                    held.add(new ServerSocket(p, 1, InetAddress.getLoopbackAddress()));
                    ports.add(p);
                } catch (IOException taken) {
                    // in use (or just chosen): try another
                }
            }
            if (ports.size() < n) {
                throw new IOException("no " + n + " free ports found in 20000-29999");
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    private static Path locateRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isExecutable(p.resolve("scripts/mount"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the project root (scripts/mount) above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

}
