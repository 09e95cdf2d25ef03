package org.quorumfs.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * What processes are doing, read from /proc, for a failure message: each thread's state and
 * wait channel, and the kernel stack of those in uninterruptible sleep (readable as root). A
 * process that outlives SIGKILL, or a helper that does not finish, shows here where it waits.
 */
final class ProcessReport {
    private ProcessReport() {
    }

    /** The threads of {@code pid}, or that it is gone (or a zombie). */
    static String of(long pid) {
        Path proc = Path.of("/proc/" + pid);
        StringBuilder out = new StringBuilder("process " + pid);
        try (Stream<Path> tasks = Files.list(proc.resolve("task"))) {
            List<Path> all = tasks.sorted().toList();
            out.append(" (").append(stateOf(proc)).append(", ").append(all.size()).append(" threads)");
            for (Path task : all) {
                String state = stateOf(task);
                if (!state.startsWith("S")) {
                    out.append("\n  ").append(read(task.resolve("comm"))).append(' ').append(state)
                            .append(" wchan=").append(read(task.resolve("wchan")));
                    if (state.startsWith("D")) {
                        out.append("\n    ").append(read(task.resolve("stack")).replace("\n", "\n    "));
                    }
                }
            }
        } catch (IOException gone) {
            out.append(" is gone");
        }
        return out.toString();
    }

    /** {@link #of} for every process whose command line contains {@code text}. */
    static String ofEvery(String text) {
        StringBuilder out = new StringBuilder();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                String cmd = read(p.resolve("cmdline")).replace('\0', ' ');
                if (cmd.contains(text)) {
                    out.append(of(Long.parseLong(p.getFileName().toString()))).append(": ").append(cmd).append('\n');
                }
            }
        } catch (IOException e) {
            out.append("/proc unreadable: ").append(e);
        }
        return out.length() == 0 ? "no process with " + text + " in its command line" : out.toString();
    }

    private static String stateOf(Path procOrTask) {
        String stat = read(procOrTask.resolve("stat"));
        int end = stat.lastIndexOf(')');
        return end < 0 ? "?" : stat.substring(end + 2, end + 3);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            return "?";
        }
    }
}
