package org.quorumfs.metaserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WalSyncTest {

    @Test
    void commitsDuringAFlush_waitForTheNextOne_andShareIt() throws Exception {
        AtomicInteger flushes = new AtomicInteger();
        Semaphore mayFinish = new Semaphore(0);
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch secondStarted = new CountDownLatch(1);
        WalSync sync = new WalSync(Path.of("wal"), () -> {
            int n = flushes.incrementAndGet();
            (n == 1 ? firstStarted : secondStarted).countDown();
            mayFinish.acquireUninterruptibly();
        });
        Thread first = start(sync, sync.committed());
        assertThat(firstStarted.await(5, TimeUnit.SECONDS)).isTrue();
        // Three commits end while the first flush runs: it may not cover them.
        List<Thread> later = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            later.add(start(sync, sync.committed()));
        }
        mayFinish.release();
        first.join(5_000);
        assertThat(first.isAlive()).isFalse();
        assertThat(secondStarted.await(5, TimeUnit.SECONDS)).isTrue();
        for (Thread t : later) {
            t.join(200);
            assertThat(t.isAlive()).as("answered before a flush begun after its commit ended").isTrue();
        }
        mayFinish.release();
        for (Thread t : later) {
            t.join(5_000);
            assertThat(t.isAlive()).isFalse();
        }
        assertThat(flushes).hasValue(2); // one flush for the three
        // Nothing new committed: a reader of what is on disk already waits for nothing.
        sync.await(sync.lastCommitted());
        assertThat(flushes).hasValue(2);
    }

    @Test
    void aRealLogIsFlushed_andAMissingOneIsAnIoError(@TempDir Path dir) throws IOException {
        Path wal = dir.resolve("meta.db-wal");
        Files.write(wal, new byte[100]);
        WalSync sync = new WalSync(wal);
        sync.await(sync.committed());
        Files.delete(wal);
        Files.write(wal, new byte[10]); // a new file under the name: opened anew
        sync.await(sync.committed());
        Files.delete(wal);
        long next = sync.committed();
        assertThatThrownBy(() -> sync.await(next)).isInstanceOfSatisfying(FsException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.IO));
        sync.close();
    }

    private static Thread start(WalSync sync, long commit) {
        Thread t = new Thread(() -> sync.await(commit));
        t.start();
        return t;
    }
}
