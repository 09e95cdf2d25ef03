package org.quorumfs.mediator;

import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * The retries one call to a server may make when the server could not be reached
 * ({@link ErrorCode#UNAVAILABLE}), by what the failure says:
 * <ul>
 * <li>timed out: none. The server is hung, each try would cost a full reply timeout, and the call
 * may have been executed.</li>
 * <li>connection refused: the server is not running. A few tries, each after a pause.</li>
 * <li>anything else: most likely a kept-alive connection the server closed when it restarted,
 * failing before the call was sent. Retried at once, a bounded number of times.</li>
 * </ul>
 * One budget per call; not thread-safe.
 */
final class RetryBudget {
    /**
     * Immediate retries allowed for failures that look like a dead kept-alive connection. The RPC
     * client now drops every connection it kept to a server and resends once on a new one by itself
     * (KeptConnections), so these cover what fails even so: a server that closes connections while
     * it restarts. The number is the one chosen when HttpURLConnection's five cached connections had
     * to be drawn one by one; lowering it would be a change of its own.
     */
    static final int STALE_CONNECTION_RETRIES = 6;

    private final int refusedAttempts;
    private final Duration pause;
    /** When set, refusals are retried until then instead of {@link #refusedAttempts} times. */
    private final long refusedUntilNanos;
    private final boolean untilDeadline;
    private int refusals;
    private int staleConnections;

    /** {@code refusedAttempts}: tries in all while the connection is refused, {@code pause} apart. */
    RetryBudget(int refusedAttempts, Duration pause) {
        this.refusedAttempts = refusedAttempts;
        this.pause = pause;
        this.refusedUntilNanos = 0;
        this.untilDeadline = false;
    }

    private RetryBudget(Duration pause, Duration maxWait) {
        this.refusedAttempts = Integer.MAX_VALUE;
        this.pause = pause;
        this.refusedUntilNanos = System.nanoTime() + maxWait.toNanos();
        this.untilDeadline = true;
    }

    /**
     * A budget for a server that restarts (the meta-server): while it refuses connections, tries
     * again every {@code pause} for up to {@code maxWait}.
     */
    static RetryBudget waitingUpTo(Duration maxWait, Duration pause) {
        return new RetryBudget(pause, maxWait);
    }

    /** How many times the call found the connection refused so far. */
    int refusals() {
        return refusals;
    }

    /**
     * Whether the call that failed with {@code e} may be tried again; pauses first when that is the
     * policy. Failures other than {@link ErrorCode#UNAVAILABLE} are the server's answer: never.
     */
    boolean tryAgain(FsException e) {
        if (e.code() != ErrorCode.UNAVAILABLE || causedBy(e, SocketTimeoutException.class)) {
            return false;
        }
        if (!causedBy(e, ConnectException.class)) {
            return ++staleConnections <= STALE_CONNECTION_RETRIES;
        }
        ++refusals;
        if (untilDeadline ? System.nanoTime() - refusedUntilNanos > 0 : refusals >= refusedAttempts) {
            return false;
        }
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new FsException(ErrorCode.IO, "interrupted");
        }
        return true;
    }

    /** Whether the call failed because the server did not answer in time (hung, not down). */
    static boolean timedOut(FsException e) {
        return e.code() == ErrorCode.UNAVAILABLE && causedBy(e, SocketTimeoutException.class);
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
