package org.quorumfs.client;

import org.junit.jupiter.api.Test;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Which directories the read-ahead lists, when, and how much of it can be waiting at once. */
class DirectoryReadAheadTest {
    /** A memo that records what was claimed and listed; listing {@code failing} throws. */
    private static final class FakeListings implements DirectoryReadAhead.Listings {
        final Set<String> claimed = ConcurrentHashMap.newKeySet();
        final List<String> listedOrder = new CopyOnWriteArrayList<>();
        final Set<String> entered = ConcurrentHashMap.newKeySet();
        volatile Map<String, ErrorCode> failing = Map.of();
        volatile CountDownLatch gate = new CountDownLatch(0);

        @Override
        public boolean claim(String dir) {
            return claimed.add(dir);
        }

        @Override
        public void list(String dir) {
            entered.add(dir);
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ErrorCode code = failing.get(dir);
            if (code != null) {
                claimed.remove(dir);
                throw new FsException(code, "failed as asked");
            }
            listedOrder.add(dir);
        }

        @Override
        public void release(String dir) {
            claimed.remove(dir);
        }
    }

    private final FakeListings memo = new FakeListings();
    private final DirectoryReadAhead ahead = new DirectoryReadAhead(memo);

    /** Waits until the read-ahead has nothing waiting or running. */
    private void settle() throws InterruptedException {
        for (int i = 0; i < 500 && !ahead.idle(); i++) {
            Thread.sleep(10);
        }
        assertThat(ahead.idle()).isTrue();
    }

    @Test
    void aWalkIntoADirectory_listsTheNextTwoBesideIt_andTheFirstUseOfEachListsOn() throws InterruptedException {
        ahead.subdirectories("/t", List.of("a", "b", "c", "d", "e"));
        memo.claim("/t/a"); // the program's own lookup listed it
        ahead.walkedInto("/t/a");
        settle();
        assertThat(memo.listedOrder).containsExactly("/t/b", "/t/c");

        // Answers from directories not read ahead, and from a listing already used, list nothing more.
        ahead.answered("/t/a/f1");
        ahead.answered("/elsewhere/f1");
        assertThat(memo.listedOrder).containsExactly("/t/b", "/t/c");

        ahead.answered("/t/b/f1"); // first use of b's listing: c is listed already, d is next
        settle();
        ahead.answered("/t/b/f2");
        assertThat(memo.listedOrder).containsExactly("/t/b", "/t/c", "/t/d");

        ahead.answered("/t/c/f1"); // d is listed already, e is next
        settle();
        ahead.answered("/t/d/f1");
        ahead.answered("/t/e/x");
        assertThat(memo.listedOrder).containsExactly("/t/b", "/t/c", "/t/d", "/t/e");
        assertThat(ahead.toString()).isEqualTo("directory listings read ahead 4, used 4");
    }

    @Test
    void nothingIsListed_withoutTheParentsListing_orForTheLastDirectory_orTheRoot() throws InterruptedException {
        ahead.walkedInto("/unknown/a");
        ahead.walkedInto("/");
        ahead.subdirectories("/t", List.of("a", "b"));
        ahead.walkedInto("/t/b");
        ahead.walkedInto("/t/gone");
        assertThat(memo.claimed).isEmpty();
        assertThat(memo.listedOrder).isEmpty();
    }

    /** Once {@code dir}'s listing runs, starts a lookup's wait for it; returns once it waits. */
    private Thread awaiting(String dir, Object[] outcome) throws InterruptedException {
        for (int i = 0; i < 500 && !memo.entered.contains(dir); i++) {
            Thread.sleep(10);
        }
        assertThat(memo.entered).contains(dir);
        Thread t = new Thread(() -> {
            try {
                outcome[0] = ahead.awaitListing(dir);
            } catch (FsException e) {
                outcome[0] = e.code();
            }
        });
        t.start();
        for (int i = 0; i < 500 && t.getState() != Thread.State.WAITING; i++) {
            Thread.sleep(10);
        }
        assertThat(t.getState()).isEqualTo(Thread.State.WAITING);
        return t;
    }

    @Test
    void aDirectoryListedLately_isNotListedAgain_andAFailedListing_givesItsClaimBack_andOnlyAnUnreachableServerFailsTheLookup()
            throws InterruptedException {
        ahead.subdirectories("/t", List.of("a", "b", "c", "d"));
        memo.claim("/t/b"); // listed lately by a lookup
        memo.failing = Map.of("/t/c", ErrorCode.STALE, "/t/d", ErrorCode.UNAVAILABLE);
        memo.gate = new CountDownLatch(1);
        ahead.walkedInto("/t/a"); // b is skipped, c is listed ahead
        Object[] onC = new Object[1];
        Thread c = awaiting("/t/c", onC);
        memo.gate.countDown();
        c.join(5000);
        assertThat(onC[0]).as("the directory went away: the lookup goes on by itself").isEqualTo(true);

        memo.gate = new CountDownLatch(1);
        ahead.walkedInto("/t/c"); // c gave its claim back; d is listed ahead
        Object[] onD = new Object[1];
        Thread d = awaiting("/t/d", onD);
        memo.gate.countDown();
        d.join(5000);
        assertThat(onD[0]).as("no answer from the meta-server: the lookup fails rather than wait as long again")
                .isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(memo.listedOrder).isEmpty();
        assertThat(memo.claimed).containsExactly("/t/b");
        ahead.answered("/t/c/x");
        assertThat(ahead.toString()).isEqualTo("directory listings read ahead 0, used 0");
        assertThat(ahead.awaitListing("/t/d")).isFalse();
    }

    @Test
    void atMostQueuedListingsWaitOrRun_aLookupWaitsForTheRunningOne_andTakesBackOneStillQueued() throws Exception {
        List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
        ahead.subdirectories("/t", names);
        memo.gate = new CountDownLatch(1);
        for (String n : names) {
            ahead.walkedInto("/t/" + n);
        }
        // Every directory but the first was asked for; the one thread is held, so only QUEUED got in.
        assertThat(memo.claimed).containsExactlyInAnyOrder("/t/b", "/t/c", "/t/d", "/t/e");
        Object[] onB = new Object[1];
        Thread waiter = awaiting("/t/b", onB);
        assertThat(ahead.awaitListing("/t/d")).as("a queued listing is taken back, not waited for").isFalse();
        assertThat(memo.claimed).doesNotContain("/t/d");
        memo.gate.countDown();
        waiter.join(5000);
        assertThat(onB[0]).isEqualTo(true);
        settle();
        assertThat(memo.listedOrder).containsExactly("/t/b", "/t/c", "/t/e");
        assertThat(memo.entered).doesNotContain("/t/d");
        assertThat(ahead.awaitListing("/t/b")).as("nothing in flight any more").isFalse();
    }
}
