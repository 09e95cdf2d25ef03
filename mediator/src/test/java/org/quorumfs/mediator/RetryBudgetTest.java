package org.quorumfs.mediator;

import org.junit.jupiter.api.Test;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class RetryBudgetTest {
    private static FsException unavailable(Throwable cause) {
        return new FsException(ErrorCode.UNAVAILABLE, "127.0.0.1:1 unavailable", new IOException("wrapped", cause));
    }

    private static int retriesAllowed(RetryBudget budget, FsException e) {
        int n = 0;
        while (budget.tryAgain(e)) {
            n++;
            assertThat(n).as("the budget is bounded").isLessThan(100);
        }
        return n;
    }

    @Test
    void aTimeoutIsNeverRetried_itMayHaveActed() {
        assertThat(retriesAllowed(new RetryBudget(5, Duration.ZERO), unavailable(new SocketTimeoutException("read"))))
                .isZero();
    }

    @Test
    void theServersOwnAnswerIsNeverRetried() {
        assertThat(retriesAllowed(new RetryBudget(5, Duration.ZERO), FsException.notFound("inode 7"))).isZero();
    }

    @Test
    void aRefusedConnection_isTriedAttemptsTimesInAll_pauseApart() {
        RetryBudget budget = new RetryBudget(3, Duration.ofMillis(30));
        long start = System.nanoTime();
        assertThat(retriesAllowed(budget, unavailable(new ConnectException("Connection refused")))).isEqualTo(2);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(60));
    }

    @Test
    void aDeadKeptAliveConnection_isRetriedAtOnce_aBoundedNumberOfTimes() {
        RetryBudget budget = new RetryBudget(1, Duration.ofHours(1));
        FsException reset = unavailable(new SocketException("Connection reset"));
        assertThat(retriesAllowed(budget, reset)).isEqualTo(RetryBudget.STALE_CONNECTION_RETRIES);
    }
}
