package org.quorumfs.mediator.cli;

import org.quorumfs.mediator.MediatorConfig;
import picocli.CommandLine.Option;

import java.util.List;

/** Where the cluster is and its quorums: what the mount and every upkeep command take, with scripts/up's defaults. */
public final class ClusterOptions {
    @Option(names = "--meta", paramLabel = "[HOST:]PORT", defaultValue = "51234", description = "The meta-server (default 51234).")
    String meta;

    @Option(names = "--data", paramLabel = "[HOST:]PORT,...", split = ",", defaultValue = "51235,51236,51237,51238",
            description = "The data servers (default 51235,51236,51237,51238).")
    List<String> data;

    @Option(names = "--qr", defaultValue = "2", description = "Read quorum (default 2).")
    int qr;

    @Option(names = "--qw", defaultValue = "2", description = "Write quorum (default 2).")
    int qw;

    public MediatorConfig config() {
        return MediatorConfig.of(MediatorConfig.endpoint(meta), MediatorConfig.endpoints(data), qr, qw);
    }
}
