package org.quorumfs.metaserver;

import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.rpc.RpcServer;
import org.quorumfs.common.server.EmbeddedServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;

/** An embeddable meta-server: what {@code scripts/metaserver} runs, and what tests start in-process. */
public final class MetaServer implements EmbeddedServer {
    private static final Logger log = LoggerFactory.getLogger(MetaServer.class);
    /** Default block size of a new store; see the README for the measurement behind it. */
    public static final int DEFAULT_BLOCK_SIZE = 1 << 20;
    /**
     * How long a mount's session lives without renewal: a killed mount's unlinked-but-open files
     * are freed this long after it died; a mount hung longer than this loses its holds.
     */
    public static final Duration DEFAULT_SESSION_LEASE = Duration.ofSeconds(60);

    private final MetaStore store;
    private final Sessions sessions;
    private final RpcServer rpc;

    private MetaServer(MetaStore store, Sessions sessions, RpcServer rpc) {
        this.store = store;
        this.sessions = sessions;
        this.rpc = rpc;
    }

    /** Opens the store in {@code dataDir} (created if missing) and serves it on {@code bind}:{@code port}. */
    public static MetaServer start(Path dataDir, InetAddress bind, int port, int blockSize) throws IOException {
        return start(dataDir, bind, port, blockSize, DEFAULT_SESSION_LEASE);
    }

    /** {@link #start(Path, InetAddress, int, int)} with mounts' sessions lapsing after {@code sessionLease}. */
    public static MetaServer start(Path dataDir, InetAddress bind, int port, int blockSize, Duration sessionLease)
            throws IOException {
        Files.createDirectories(dataDir);
        MetaStore store;
        try {
            store = new MetaStore(dataDir, blockSize);
        } catch (SQLException e) {
            throw new IOException("cannot open the meta-server store in " + dataDir + ": " + e.getMessage(), e);
        }
        Sessions sessions = new Sessions(store, sessionLease);
        RpcServer rpc = new RpcServer(bind, port).register(MetaService.class, new MetaServiceImpl(store, sessions));
        try {
            rpc.start();
        } catch (IOException e) {
            sessions.close();
            closeQuietly(store);
            throw e;
        }
        log.info("meta-server on {}:{}, store {}, block size {}", bind.getHostAddress(), rpc.port(), dataDir,
                store.blockSize());
        return new MetaServer(store, sessions, rpc);
    }

    @Override
    public int port() {
        return rpc.port();
    }

    @Override
    public void close() {
        rpc.close();
        sessions.close();
        closeQuietly(store);
    }

    private static void closeQuietly(MetaStore store) {
        try {
            store.close();
        } catch (SQLException e) {
            log.warn("closing the store failed", e);
        }
    }
}
