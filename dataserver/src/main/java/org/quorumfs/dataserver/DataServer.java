package org.quorumfs.dataserver;

import org.quorumfs.common.protocol.DataService;
import org.quorumfs.common.rpc.RpcServer;
import org.quorumfs.common.server.EmbeddedServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;

/** An embeddable data server: what {@code scripts/dataserver} runs, and what tests start in-process. */
public final class DataServer implements EmbeddedServer {
    private static final Logger log = LoggerFactory.getLogger(DataServer.class);

    private final ReplicaStore store;
    private final RpcServer rpc;

    private DataServer(ReplicaStore store, RpcServer rpc) {
        this.store = store;
        this.rpc = rpc;
    }

    /** Serves the replicas under {@code dataDir}/blocks (created if missing) on {@code bind}:{@code port}. */
    public static DataServer start(Path dataDir, InetAddress bind, int port) throws IOException {
        ReplicaStore store = new ReplicaStore(dataDir);
        RpcServer rpc = new RpcServer(bind, port).register(DataService.class, new DataServiceImpl(store)).start();
        log.info("data server on {}:{}, replicas in {}", bind.getHostAddress(), rpc.port(), store.root());
        return new DataServer(store, rpc);
    }

    @Override
    public int port() {
        return rpc.port();
    }

    /** The replica file of (ino, index, version), for tests that corrupt or inspect replicas. */
    public Path replicaPath(long ino, int index, long version) {
        return store.replicaPath(ino, index, version);
    }

    @Override
    public void close() {
        rpc.close();
    }
}
