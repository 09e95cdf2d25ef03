package org.quorumfs.mediator.testing;

import com.google.common.net.HostAndPort;
import org.quorumfs.common.rpc.RpcTimeouts;
import org.quorumfs.dataserver.DataServer;
import org.quorumfs.mediator.Mediator;
import org.quorumfs.mediator.MediatorConfig;
import org.quorumfs.metaserver.MetaServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One meta-server and N data servers, in this JVM, each under its own directory and on its own
 * ephemeral port, with the faults tests inject: stop a data server (its connections drop, its
 * replicas stay on disk), restart it on the same port, damage a replica file.
 */
public final class MiniCluster implements AutoCloseable {
    /** Short bounds so fault tests finish fast: a refused server costs ~100 ms, a hung one ~1.5 s. */
    public static final RpcTimeouts FAST = new RpcTimeouts(Duration.ofMillis(500), Duration.ofMillis(1500));

    private final Path dir;
    private final MetaServer meta;
    private final DataServer[] data;
    private final int[] ports;
    private final List<Mediator> mediators = new ArrayList<>();

    private MiniCluster(Path dir, MetaServer meta, DataServer[] data, int[] ports) {
        this.dir = dir;
        this.meta = meta;
        this.data = data;
        this.ports = ports;
    }

    public static MiniCluster start(Path dir, int n) throws IOException {
        return start(dir, n, MetaServer.DEFAULT_BLOCK_SIZE);
    }

    public static MiniCluster start(Path dir, int n, int blockSize) throws IOException {
        MetaServer meta = MetaServer.start(dir.resolve("meta"), InetAddress.getLoopbackAddress(), 0, blockSize);
        DataServer[] data = new DataServer[n];
        int[] ports = new int[n];
        for (int i = 0; i < n; i++) {
            data[i] = DataServer.start(dataDir(dir, i), InetAddress.getLoopbackAddress(), 0);
            ports[i] = data[i].port();
        }
        return new MiniCluster(dir, meta, data, ports);
    }

    private static Path dataDir(Path dir, int i) {
        return dir.resolve("data-" + i);
    }

    public int size() {
        return data.length;
    }

    public HostAndPort metaEndpoint() {
        return HostAndPort.fromParts("127.0.0.1", meta.port());
    }

    public HostAndPort dataEndpoint(int i) {
        return HostAndPort.fromParts("127.0.0.1", ports[i]);
    }

    public List<HostAndPort> dataEndpoints() {
        List<HostAndPort> out = new ArrayList<>();
        for (int i = 0; i < data.length; i++) {
            out.add(dataEndpoint(i));
        }
        return out;
    }

    /** A config for this cluster with fast fault bounds and a short down back-off. */
    public MediatorConfig config(int qr, int qw) {
        MediatorConfig c = MediatorConfig.of(metaEndpoint(), dataEndpoints(), qr, qw).withTimeouts(FAST);
        return new MediatorConfig(c.meta(), c.data(), qr, qw, c.attempts(), Duration.ofMillis(50), FAST,
                Duration.ofMillis(300), c.writeGrace(), false, false, Duration.ofSeconds(3));
    }

    public Mediator mediator(int qr, int qw) {
        return mediator(config(qr, qw));
    }

    public Mediator mediator(MediatorConfig config) {
        Mediator m = Mediator.connect(config);
        mediators.add(m);
        return m;
    }

    /** Stops data server {@code i} as a crash would look to clients: connections refused. */
    public void kill(int i) {
        if (data[i] != null) {
            data[i].close();
            data[i] = null;
        }
    }

    public void restart(int i) {
        kill(i);
        try {
            data[i] = DataServer.start(dataDir(dir, i), InetAddress.getLoopbackAddress(), ports[i]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The replica file of (ino, index, version) on server {@code i} (whether it exists or not). */
    public Path replica(int i, long ino, int index, long version) {
        return dataDir(dir, i).resolve("blocks").resolve(String.format("%012x", ino >>> 12))
                .resolve(String.format("%016x.%010d.%016x", ino, index, version));
    }

    /** Overwrites a replica's bytes on disk, as the seed's test did by hand. */
    public void corrupt(int i, long ino, int index, long version) {
        try {
            Files.writeString(replica(i, ino, index, version), "This file is corrupted");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        mediators.forEach(Mediator::close);
        for (int i = 0; i < data.length; i++) {
            kill(i);
        }
        meta.close();
    }
}
