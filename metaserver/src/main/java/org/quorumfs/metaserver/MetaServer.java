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

/** An embeddable meta-server: what {@code scripts/metaserver} runs, and what tests start in-process. */
public final class MetaServer implements EmbeddedServer {
    private static final Logger log = LoggerFactory.getLogger(MetaServer.class);
    /** Default block size of a new store; see the README for the measurement behind it. */
    public static final int DEFAULT_BLOCK_SIZE = 1 << 20;

    private final MetaStore store;
    private final RpcServer rpc;

    private MetaServer(MetaStore store, RpcServer rpc) {
        this.store = store;
        this.rpc = rpc;
    }

    /** Opens the store in {@code dataDir} (created if missing) and serves it on {@code bind}:{@code port}. */
    public static MetaServer start(Path dataDir, InetAddress bind, int port, int blockSize) throws IOException {
        Files.createDirectories(dataDir);
        MetaStore store;
        try {
            store = new MetaStore(dataDir, blockSize);
        } catch (SQLException e) {
            throw new IOException("cannot open the meta-server store in " + dataDir + ": " + e.getMessage(), e);
        }
        RpcServer rpc = new RpcServer(bind, port).register(MetaService.class, new MetaServiceImpl(store));
        try {
            rpc.start();
        } catch (IOException e) {
            closeQuietly(store);
            throw e;
        }
        log.info("meta-server on {}:{}, store {}, block size {}", bind.getHostAddress(), rpc.port(), dataDir,
                store.blockSize());
        return new MetaServer(store, rpc);
    }

    @Override
    public int port() {
        return rpc.port();
    }

    @Override
    public void close() {
        rpc.close();
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
