package org.quorumfs.mediator;

import com.google.common.net.HostAndPort;
import org.quorumfs.common.protocol.DataService;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.rpc.RpcClient;
import org.quorumfs.common.rpc.RpcTimeouts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.function.Function;

/**
 * One data server as the mediator sees it: its RPC proxy, bounded retries, and whether it is
 * believed down. A refused connection is retried a few times after a pause; a server that
 * refused them all is skipped for a back-off period, so a dead server costs the retries once, not
 * on every block. A server that timed out is not retried at all (it is hung, and each try would
 * cost a full reply timeout). Any other failure is most likely a kept-alive connection the server
 * closed when it restarted, and is retried at once.
 */
final class DataServerHandle {
    private static final Logger log = LoggerFactory.getLogger(DataServerHandle.class);

    private final HostAndPort endpoint;
    private final DataService rpc;
    private final int attempts;
    private final Duration pause;
    private final Duration backoff;
    private volatile long downUntilNanos;

    DataServerHandle(HostAndPort endpoint, RpcTimeouts timeouts, int attempts, Duration pause, Duration backoff) {
        this.endpoint = endpoint;
        this.rpc = new RpcClient(endpoint, timeouts).proxy(DataService.class);
        this.attempts = attempts;
        this.pause = pause;
        this.backoff = backoff;
    }

    /** The id recorded at the meta-server for replicas this server missed: "host:port". */
    String id() {
        return endpoint.toString();
    }

    boolean believedDown() {
        return System.nanoTime() - downUntilNanos < 0;
    }

    /** One cheap ping, no retries; returns whether it answered, and marks it down if not. */
    boolean probe() {
        try {
            rpc.ping();
            downUntilNanos = System.nanoTime();
            return true;
        } catch (FsException e) {
            downUntilNanos = System.nanoTime() + backoff.toNanos();
            return false;
        }
    }

    /**
     * Runs {@code op} against this server. Errors the server answered with are thrown as they are;
     * when it cannot be reached the result is {@link ErrorCode#UNAVAILABLE}.
     */
    <T> T call(Function<DataService, T> op) {
        if (believedDown()) {
            throw new FsException(ErrorCode.UNAVAILABLE, id() + " is believed down");
        }
        FsException last;
        int refusals = 0;
        int staleConnections = 0;
        while (true) {
            try {
                T result = op.apply(rpc);
                downUntilNanos = System.nanoTime();
                return result;
            } catch (FsException e) {
                if (e.code() != ErrorCode.UNAVAILABLE) {
                    throw e;
                }
                last = e;
                if (Failures.timedOut(e)) {
                    break;
                }
                if (Failures.refused(e)) {
                    if (++refusals >= attempts) {
                        break;
                    }
                    sleep(pause);
                } else if (++staleConnections > Failures.STALE_CONNECTION_RETRIES) {
                    break;
                }
            }
        }
        log.debug("{} unreachable, skipping it for {}", id(), backoff);
        downUntilNanos = System.nanoTime() + backoff.toNanos();
        throw last;
    }


    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsException(ErrorCode.IO, "interrupted");
        }
    }

    @Override
    public String toString() {
        return id();
    }
}
