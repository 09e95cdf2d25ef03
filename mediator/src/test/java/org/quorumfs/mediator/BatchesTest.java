package org.quorumfs.mediator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class BatchesTest {
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    private final List<List<Integer>> sent = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    @Test
    void itemsWaitForTheWindow_thenGoTogether_atMostMaxAtATime() {
        Batches<Integer> batches = new Batches<>(executor, Duration.ofHours(1), 3, sent::add);
        for (int i = 1; i <= 5; i++) {
            batches.add(i);
        }
        assertThat(sent).as("the first item waits for the window").isEmpty();
        batches.flush();
        assertThat(sent).containsExactly(List.of(1, 2, 3), List.of(4, 5));
    }

    @Test
    void theWindowsEnd_sendsWhatWaits() throws InterruptedException {
        Batches<Integer> batches = new Batches<>(executor, Duration.ofMillis(20), 3, sent::add);
        batches.add(6);
        batches.add(7);
        awaitSent(2);
        assertThat(sent.stream().flatMap(List::stream)).containsExactly(6, 7);
        batches.add(8);
        awaitSent(3);
        assertThat(sent.stream().flatMap(List::stream)).containsExactly(6, 7, 8);
    }

    @Test
    void itemsArrivingWhileABatchIsSent_waitForAWindowOfTheirOwn() {
        AtomicReference<Batches<Integer>> self = new AtomicReference<>();
        self.set(new Batches<>(executor, Duration.ofHours(1), 3, batch -> {
            if (sent.isEmpty()) {
                self.get().add(9); // arrive while the first batch is on its way
                self.get().add(10);
            }
            sent.add(List.copyOf(batch));
        }));
        for (int i = 1; i <= 4; i++) {
            self.get().add(i);
        }
        self.get().flush();
        assertThat(sent).containsExactly(List.of(1, 2, 3), List.of(4));
        self.get().flush();
        assertThat(sent).containsExactly(List.of(1, 2, 3), List.of(4), List.of(9, 10));
    }

    private void awaitSent(int items) throws InterruptedException {
        for (int t = 0; t < 500 && sent.stream().mapToInt(List::size).sum() < items; t++) {
            Thread.sleep(10);
        }
    }
}
