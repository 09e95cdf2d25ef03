package org.quorumfs.common.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server's {@code main} run as a real child JVM, for tests where a kill -9 must be real. It
 * reports its bound port on stdout ("... ready on port N"), so tests can ask for port 0.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("ready on port (\\d+)");

    private final Process process;
    private final int port;

    private ServerProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts {@code mainClass} with this JVM's class path and waits until it is ready. */
    public static ServerProcess start(Class<?> mainClass, Path log, String... args) throws IOException, InterruptedException {
        return start(mainClass, log, List.of(), args);
    }

    /** {@link #start(Class, Path, String...)} with {@code jvmOptions} (system properties, heap) added. */
    public static ServerProcess start(Class<?> mainClass, Path log, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        // SQLite's driver copies its native library out at every start and removes it only at a
        // clean exit: a child killed -9 leaves it in the test's directory, not in /tmp.
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dquorumfs.log.level=WARN", "-Dorg.sqlite.tmpdir=" + log.toAbsolutePath().getParent()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
        cmd.addAll(List.of(args));
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = READY.matcher(Files.readString(log, StandardCharsets.UTF_8));
            if (m.find()) {
                return new ServerProcess(p, Integer.parseInt(m.group(1)));
            }
            if (!p.isAlive()) {
                throw new IOException(mainClass.getSimpleName() + " exited with " + p.exitValue() + ": "
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new IOException(mainClass.getSimpleName() + " not ready in 30 s: " + Files.readString(log));
    }

    public int port() {
        return port;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL, and wait for the process to be gone. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill9();
        }
    }
}
