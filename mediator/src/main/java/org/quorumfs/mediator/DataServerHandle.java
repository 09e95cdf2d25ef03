package org.quorumfs.mediator;

import com.google.common.net.HostAndPort;
import org.quorumfs.common.protocol.DataService;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.rpc.EncodedCall;
import org.quorumfs.common.rpc.RpcClient;
import org.quorumfs.common.rpc.RpcTimeouts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One data server as the mediator sees it: its RPC proxy, bounded retries, and whether it is
 * believed down. Each call retries as {@link RetryBudget} allows; a server still unreachable after
 * that is skipped for a back-off period, so a dead server costs the retries once, not on every
 * block.
 */
final class DataServerHandle {
    private static final Logger log = LoggerFactory.getLogger(DataServerHandle.class);
    /**
     * Calls to one server under way at once. A server that is slow but not dead (SIGSTOP, a full
     * disk) would otherwise collect requests, and the bytes of each put, without bound; past this
     * it counts as not answering, and the writes it misses are recorded to be healed.
     */
    static final int MAX_OUTSTANDING = 32;

    private final HostAndPort endpoint;
    private final RpcClient client;
    private final DataService rpc;
    private final int attempts;
    private final Duration pause;
    private final Duration backoff;
    private volatile long downUntilNanos;
    private volatile long lastAnswerNanos = System.nanoTime() - Long.MAX_VALUE / 2;
    /**
     * Whether the last call timed out (the server is hung: TCP open, nothing answers). A suspect is
     * asked last by reads until any call gets an answer from it again.
     */
    private volatile boolean suspect;
    /** Smoothed time a call takes to be answered: what a read waits before it asks another server. */
    private volatile long typicalNanos = 20_000_000L;
    /** Calls under way; past {@link #MAX_OUTSTANDING} a call fails at once instead of queueing. */
    private final Semaphore outstanding = new Semaphore(MAX_OUTSTANDING);

    DataServerHandle(HostAndPort endpoint, RpcTimeouts timeouts, int attempts, Duration pause, Duration backoff) {
        this.endpoint = endpoint;
        this.client = new RpcClient(endpoint, timeouts);
        this.rpc = client.proxy(DataService.class);
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

    /** Whether reads should ask this server last: down, or hung at its last call. */
    boolean avoid() {
        return suspect || believedDown();
    }

    /**
     * How long a read waits for this server before it asks another one too (a hedged request):
     * four times its typical answer time, within [200 ms, 1 s] (a whole block under load may take 100 ms).
     */
    long hedgeAfterNanos() {
        return Math.max(200_000_000L, Math.min(1_000_000_000L, 4 * typicalNanos));
    }

    /** Whether calls to this server are under way. */
    boolean busy() {
        return outstanding.availablePermits() < MAX_OUTSTANDING;
    }

    /** Whether this server answered a call within the last {@code nanos}. */
    boolean answeredWithin(long nanos) {
        return System.nanoTime() - lastAnswerNanos < nanos;
    }

    /** One cheap ping, no retries; returns whether it answered, and marks it down if not. */
    boolean probe() {
        try {
            rpc.ping();
            downUntilNanos = System.nanoTime();
            lastAnswerNanos = downUntilNanos;
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
        return attempt(() -> op.apply(rpc));
    }

    /** {@link #call} of a request encoded once for several servers ({@link EncodedCall}). */
    <T> T send(EncodedCall call, Class<T> type) {
        return attempt(() -> client.send(call, type));
    }

    private <T> T attempt(Supplier<T> op) {
        if (believedDown()) {
            throw new FsException(ErrorCode.UNAVAILABLE, id() + " is believed down");
        }
        if (!outstanding.tryAcquire()) {
            throw new FsException(ErrorCode.UNAVAILABLE, id() + " has " + MAX_OUTSTANDING + " calls outstanding");
        }
        try {
            RetryBudget retries = new RetryBudget(attempts, pause);
            while (true) {
                long started = System.nanoTime();
                try {
                    T result = op.get();
                    downUntilNanos = System.nanoTime();
                    lastAnswerNanos = downUntilNanos;
                    suspect = false;
                    typicalNanos += (lastAnswerNanos - started - typicalNanos) / 8;
                    return result;
                } catch (FsException e) {
                    if (e.code() != ErrorCode.UNAVAILABLE) {
                        lastAnswerNanos = System.nanoTime();
                        suspect = false;
                        throw e;
                    }
                    if (RetryBudget.timedOut(e)) {
                        suspect = true;
                    }
                    if (!retries.tryAgain(e)) {
                        log.debug("{} unreachable, skipping it for {}", id(), backoff);
                        downUntilNanos = System.nanoTime() + backoff.toNanos();
                        throw e;
                    }
                }
            }
        } finally {
            outstanding.release();
        }
    }

    @Override
    public String toString() {
        return id();
    }
}
