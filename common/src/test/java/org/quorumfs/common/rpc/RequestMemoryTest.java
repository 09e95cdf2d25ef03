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
    void aRequestReservesItsBodySeveralTimesOver_andAtLeastAnAnswer() {
        RequestMemory m = new RequestMemory(64 * MIB);
        int small = m.reserve(300, 12 * MIB, 10);
        assertThat((long) small << 10).isEqualTo(RequestMemory.ANSWER_ALLOWANCE);
        int put = m.reserve(1_400_000, 12 * MIB, 10);
        assertThat((long) put << 10).isGreaterThanOrEqualTo(8 * 1_400_000L);
        m.release(small);
        m.release(put);
        assertThat(m.availableKib()).isEqualTo(64 * 1024);
    }

    @Test
    void whenTheBudgetIsTaken_aRequestWaitsForOneToFinish() throws Exception {
        RequestMemory m = new RequestMemory(16 * MIB);
        int first = m.reserve(MIB + MIB / 2, 12 * MIB, 10); // 12 MiB of 16
        CompletableFuture<Integer> second = CompletableFuture.supplyAsync(() -> m.reserve(MIB, 12 * MIB, 5_000));
        Thread.sleep(200);
        assertThat(second).isNotDone();
        m.release(first);
        int got = second.get(5, TimeUnit.SECONDS);
        assertThat((long) got << 10).isEqualTo(8 * MIB);
    }

    @Test
    void aRequestLargerThanTheBudget_runsAlone_andOneThatCannotWait_isRefusedAsBusy() {
        RequestMemory m = new RequestMemory(16 * MIB);
        int huge = m.reserve(-1, 12 * MIB, 10); // unstated length: counted as the largest body
        assertThat(m.availableKib()).isZero();
        assertThatThrownBy(() -> m.reserve(10, 12 * MIB, 50))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
        m.release(huge);
        m.release(m.reserve(10, 12 * MIB, 10));
    }
}
