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
 * believed down. Each call retries as {@link RetryBudget} allows; a server still unreachable after
 * that is skipped for a back-off period, so a dead server costs the retries once, not on every
 * block.
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
        RetryBudget retries = new RetryBudget(attempts, pause);
        while (true) {
            try {
                T result = op.apply(rpc);
                downUntilNanos = System.nanoTime();
                return result;
            } catch (FsException e) {
                if (e.code() != ErrorCode.UNAVAILABLE) {
                    throw e;
                }
                if (!retries.tryAgain(e)) {
                    log.debug("{} unreachable, skipping it for {}", id(), backoff);
                    downUntilNanos = System.nanoTime() + backoff.toNanos();
                    throw e;
                }
            }
        }
    }

    @Override
    public String toString() {
        return id();
    }
}
