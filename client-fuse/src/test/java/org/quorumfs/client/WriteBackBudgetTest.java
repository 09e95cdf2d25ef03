package org.quorumfs.client;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class WriteBackBudgetTest {

    @Test
    void overTheBound_onlyPastItsBlocks() {
        WriteBackBudget budget = new WriteBackBudget(4 << 20, 1 << 20);
        for (int i = 0; i < 4; i++) {
            budget.charge();
        }
        assertThat(budget.over()).isFalse();
        budget.charge();
        assertThat(budget.over()).isTrue();
        budget.refund();
        assertThat(budget.over()).isFalse();
    }

    @Test
    void aBlockWritePastTheMountsBound_waitsForOneToEnd() throws Exception {
        WriteBackBudget budget = new WriteBackBudget(4 << 20, 1 << 20);
        for (int i = 0; i < WriteBackBudget.MAX_WRITES; i++) {
            budget.startWrite();
        }
        CountDownLatch started = new CountDownLatch(1);
        Thread writer = new Thread(() -> {
            budget.startWrite();
            started.countDown();
        });
        writer.start();
        assertThat(started.await(300, TimeUnit.MILLISECONDS)).as("started past the bound").isFalse();
        budget.endWrite();
        assertThat(started.await(10, TimeUnit.SECONDS)).as("started once one ended").isTrue();
        writer.join();
    }
}
