package org.quorumfs.metaserver;

import org.quorumfs.common.rpc.SecurityOptions;
import org.quorumfs.common.server.ServerRunner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code scripts/metaserver PORT [--data-dir DIR] [--bind ADDR]}: runs the meta-server in the foreground. */
@Command(name = "metaserver", mixinStandardHelpOptions = true,
        description = "Runs the QuorumFS meta-server (namespace and block table) in the foreground.")
public final class MetaServerMain implements Callable<Integer> {
    @Mixin
    SecurityOptions security;

    @Parameters(index = "0", paramLabel = "PORT", defaultValue = "51234", description = "Port to serve on (default 51234; 0: any free port, printed when ready).")
    int port;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "State directory (default var/metaserver-PORT).")
    Path dataDir;

    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1", description = "Address to bind (default 127.0.0.1).")
    String bind;

    @Option(names = "--block-size", paramLabel = "BYTES", defaultValue = "" + MetaServer.DEFAULT_BLOCK_SIZE,
            description = "Block size of a new filesystem (default 1 MiB); an existing store keeps its own.")
    int blockSize;

    @Option(names = "--session-lease", paramLabel = "SECONDS", defaultValue = "60",
            description = "A mount that has not renewed its session for this long is taken for dead: its unlinked-but-open files are freed (default 60).")
    int sessionLeaseSeconds;

    @Override
    public Integer call() throws Exception {
        if (sessionLeaseSeconds < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "session lease must be at least 1 second");
        }
        if (port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(new CommandLine(this), "port must be 0..65535 (0: any free port), got " + port);
        }
        if (blockSize < 4096 || blockSize > org.quorumfs.common.protocol.Limits.MAX_BLOCK_SIZE) {
            throw new CommandLine.ParameterException(new CommandLine(this), "block size must be 4096.."
                    + org.quorumfs.common.protocol.Limits.MAX_BLOCK_SIZE);
        }
        Path dir = dataDir != null ? dataDir : Path.of("var", "metaserver-" + port);
        // Resolved as the server starts: an unknown address is a one-line start failure, not a stack trace.
        return ServerRunner.run("metaserver", port, () -> MetaServer.start(dir, InetAddress.getByName(bind), port, blockSize,
                java.time.Duration.ofSeconds(sessionLeaseSeconds)));
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new MetaServerMain()).execute(args));
    }
}
