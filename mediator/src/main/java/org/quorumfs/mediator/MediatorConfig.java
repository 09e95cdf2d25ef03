package org.quorumfs.mediator;

import com.google.common.net.HostAndPort;
import org.quorumfs.common.rpc.RpcTimeouts;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;

/**
 * How a mediator reaches the cluster and what it demands of it.
 *
 * @param meta          the meta-server
 * @param data          the N data servers
 * @param qr            read quorum: data servers that must answer a block read (1..N)
 * @param qw            write quorum: data servers that must store a block before it is acknowledged (1..N)
 * @param attempts      tries per data server call when the server cannot be reached (the seed's "about 5")
 * @param retryPause    pause between those tries
 * @param timeouts      connect and reply bounds of one RPC
 * @param downBackoff   how long a server that failed all tries is skipped before it is tried again
 * @param writeGrace    once Qw servers stored a block, how long to wait for the others before
 *                      recording them as having missed it
 * @param warnOnWriteQuorumLoss the seed's behaviour: a write stored by fewer than Qw (but at least
 *                      one) servers is committed with a warning instead of failing with EIO
 * @param readAll       the seed's behaviour: read every block from all N servers and verify all,
 *                      instead of Qr servers widened only on failure
 * @param metaWait      how long a call waits and retries while the meta-server refuses connections
 *                      (restarting), before it fails
 */
public record MediatorConfig(HostAndPort meta, List<HostAndPort> data, int qr, int qw, int attempts,
                             Duration retryPause, RpcTimeouts timeouts, Duration downBackoff, Duration writeGrace,
                             boolean warnOnWriteQuorumLoss, boolean readAll, Duration metaWait) {

    public MediatorConfig {
        data = List.copyOf(data);
        if (data.isEmpty()) {
            throw new IllegalArgumentException("at least one data server is needed");
        }
        if (new HashSet<>(data).size() != data.size()) {
            throw new IllegalArgumentException("data servers must be distinct: " + data);
        }
        if (qr < 1 || qr > data.size()) {
            throw new IllegalArgumentException("Qr must be 1.." + data.size() + " (the number of data servers), got " + qr);
        }
        if (qw < 1 || qw > data.size()) {
            throw new IllegalArgumentException("Qw must be 1.." + data.size() + " (the number of data servers), got " + qw);
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, got " + attempts);
        }
    }

    /** Defaults for everything but the cluster and the quorums. */
    public static MediatorConfig of(HostAndPort meta, List<HostAndPort> data, int qr, int qw) {
        return new MediatorConfig(meta, data, qr, qw, 3, Duration.ofMillis(100), RpcTimeouts.DEFAULT,
                Duration.ofSeconds(2), Duration.ofMillis(200), false, false, Duration.ofSeconds(30));
    }

    /** A server address as the command lines take it: PORT (on 127.0.0.1) or HOST:PORT. */
    public static HostAndPort endpoint(String s) {
        HostAndPort h = HostAndPort.fromString(s.contains(":") ? s : "127.0.0.1:" + s.trim());
        if (!h.hasPort() || h.getPort() < 1 || h.getPort() > 65535) {
            throw new IllegalArgumentException("bad server address '" + s + "': give PORT or HOST:PORT");
        }
        return h;
    }

    /** {@link #endpoint} of each. */
    public static List<HostAndPort> endpoints(List<String> list) {
        return list.stream().map(MediatorConfig::endpoint).toList();
    }

    public MediatorConfig withTimeouts(RpcTimeouts t) {
        return new MediatorConfig(meta, data, qr, qw, attempts, retryPause, t, downBackoff, writeGrace,
                warnOnWriteQuorumLoss, readAll, metaWait);
    }

    public MediatorConfig withSeedModes(boolean warnOnQuorumLoss, boolean readEverywhere) {
        return new MediatorConfig(meta, data, qr, qw, attempts, retryPause, timeouts, downBackoff, writeGrace,
                warnOnQuorumLoss, readEverywhere, metaWait);
    }

    public MediatorConfig withMetaWait(Duration wait) {
        return new MediatorConfig(meta, data, qr, qw, attempts, retryPause, timeouts, downBackoff, writeGrace,
                warnOnWriteQuorumLoss, readAll, wait);
    }
}
