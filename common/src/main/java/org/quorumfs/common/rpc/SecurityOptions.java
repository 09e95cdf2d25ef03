package org.quorumfs.common.rpc;

import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The options every QuorumFS process takes for the cluster's secrets: {@code --key-file} (the
 * {@link ClusterKey} every RPC proves) and {@code --tls-store} (the {@link ClusterTls} store every
 * RPC travels in). They set the system properties the RPC layer reads once per process, so they
 * work the same in every main; {@code -D} settings of those properties still work without them.
 */
public final class SecurityOptions {
    @Option(names = "--key-file", paramLabel = "FILE",
            description = "The cluster key (hex); every call proves it. Default: none (servers then bind loopback only).")
    void keyFile(Path file) {
        System.setProperty(ClusterKey.PROPERTY, readable(file, "--key-file").toString());
    }

    @Option(names = "--tls-store", paramLabel = "FILE",
            description = "The cluster's PKCS#12 store (scripts/tls-init): every call travels in TLS. Default: plain HTTP.")
    void tlsStore(Path file) {
        System.setProperty(ClusterTls.PROPERTY, readable(file, "--tls-store").toString());
    }

    private static Path readable(Path file, String option) {
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(option + ": cannot read " + file);
        }
        return file.toAbsolutePath();
    }
}
