package org.quorumfs.common.rpc;

import org.junit.jupiter.api.Test;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestMemoryTest {
    private static final long MIB = 1 << 20;

    @Test
    void aRequestReservesItsBodySeveralTimesOver_andABlockReadsAnswerUnlessItsAnswerIsSmall() {
        RequestMemory m = new RequestMemory(64 * MIB);
        int small = m.reserveBody(300, 12 * MIB, 10);
        assertThat((long) small << 10).isEqualTo(RequestMemory.SMALL_REQUEST);
        int answer = m.reserveAnswer(small, 10);
        assertThat((long) (small + answer) << 10).isEqualTo(RequestMemory.ANSWER_ALLOWANCE);
        int put = m.reserveBody(1_400_000, 12 * MIB, 10);
        assertThat((long) put << 10).isGreaterThanOrEqualTo(8 * 1_400_000L);
        assertThat(m.reserveAnswer(put, 10)).as("a body's reservation already covers an answer").isZero();
        m.release(small + answer);
        m.release(put);
        assertThat(m.availableKib()).isEqualTo(64 * 1024);
    }

    @Test
    void whenTheBudgetIsTaken_aRequestWaitsForOneToFinish_butASmallOneIsNotQueuedBehindIt() throws Exception {
        RequestMemory m = new RequestMemory(16 * MIB);
        int first = m.reserveBody(MIB + MIB / 2, 12 * MIB, 10); // 12 MiB of 16
        CompletableFuture<Integer> put = CompletableFuture.supplyAsync(() -> m.reserveBody(MIB, 12 * MIB, 5_000));
        Thread.sleep(200);
        assertThat(put).as("8 MiB do not fit beside 12 of 16").isNotDone();
        int ping = m.reserveBody(300, 12 * MIB, 10);
        assertThat(put).isNotDone();
        m.release(ping);
        m.release(first);
        assertThat((long) put.get(5, TimeUnit.SECONDS) << 10).isEqualTo(8 * MIB);
    }

    @Test
    void aRequestLargerThanTheBudget_runsAlone_andOneThatCannotWait_isRefusedAsBusy() {
        RequestMemory m = new RequestMemory(16 * MIB);
        int huge = m.reserveBody(-1, 12 * MIB, 10); // unstated length: counted as the largest body
        assertThat(m.availableKib()).isZero();
        assertThatThrownBy(() -> m.reserveBody(10, 12 * MIB, 50))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
        m.release(huge);
        m.release(m.reserveBody(10, 12 * MIB, 10));
    }
}
