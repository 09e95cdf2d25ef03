package org.quorumfs.dataserver;

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

/** One data server process on one port; {@code scripts/dataserver} starts one of these per port. */
@Command(name = "dataserver", mixinStandardHelpOptions = true,
        description = "Runs one QuorumFS data server (block replica store) in the foreground.")
public final class DataServerMain implements Callable<Integer> {
    @Mixin
    SecurityOptions security;

    @Parameters(index = "0", paramLabel = "PORT", description = "Port to serve on (0: any free port, printed when ready).")
    int port;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "State directory (default var/dataserver-PORT).")
    Path dataDir;

    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1", description = "Address to bind (default 127.0.0.1).")
    String bind;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(new CommandLine(this), "port must be 0..65535 (0: any free port), got " + port);
        }
        Path dir = dataDir != null ? dataDir : Path.of("var", "dataserver-" + port);
        // Resolved as the server starts: an unknown address is a one-line start failure, not a stack trace.
        return ServerRunner.run("dataserver", port, () -> DataServer.start(dir, InetAddress.getByName(bind), port));
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new DataServerMain()).execute(args));
    }
}
