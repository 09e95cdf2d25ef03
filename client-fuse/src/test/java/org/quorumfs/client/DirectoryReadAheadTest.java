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
        volatile Map<String, ErrorCode> failing = Map.of();
        volatile CountDownLatch gate = new CountDownLatch(0);

        @Override
        public boolean claim(String dir) {
            return claimed.add(dir);
        }

        @Override
        public void list(String dir) {
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
    }

    private final FakeListings memo = new FakeListings();
    private final DirectoryReadAhead ahead = new DirectoryReadAhead(memo);

    private void settle(String... dirs) {
        for (String d : dirs) {
            ahead.awaitListing(d);
        }
    }

    @Test
    void aWalkIntoADirectory_listsTheNextTwoBesideIt_andTheFirstUseOfEachListsOn() {
        ahead.subdirectories("/t", List.of("a", "b", "c", "d", "e"));
        memo.claim("/t/a"); // the program's own lookup listed it
        ahead.walkedInto("/t/a");
        settle("/t/b", "/t/c");
        assertThat(memo.listedOrder).containsExactly("/t/b", "/t/c");

        // Answers from directories not read ahead, and from a listing already used, list nothing more.
        ahead.answered("/t/a/f1");
        ahead.answered("/elsewhere/f1");
        assertThat(memo.listedOrder).containsExactly("/t/b", "/t/c");

        ahead.answered("/t/b/f1"); // first use of b's listing: c is listed already, d is next
        settle("/t/d");
        ahead.answered("/t/b/f2");
        assertThat(memo.listedOrder).containsExactly("/t/b", "/t/c", "/t/d");

        ahead.answered("/t/c/f1"); // d is listed already, e is next
        settle("/t/e");
        ahead.answered("/t/d/f1");
        ahead.answered("/t/e/x");
        assertThat(memo.listedOrder).containsExactly("/t/b", "/t/c", "/t/d", "/t/e");
        assertThat(ahead.toString()).isEqualTo("directory listings read ahead 4, used 4");
    }

    @Test
    void nothingIsListed_withoutTheParentsListing_orForTheLastDirectory_orTheRoot() {
        ahead.walkedInto("/unknown/a");
        ahead.walkedInto("/");
        ahead.subdirectories("/t", List.of("a", "b"));
        ahead.walkedInto("/t/b");
        ahead.walkedInto("/t/gone");
        assertThat(memo.claimed).isEmpty();
        assertThat(memo.listedOrder).isEmpty();
    }

    /** Starts a lookup's wait for {@code dir}'s listing; returns once it waits. */
    private Thread awaiting(String dir, Object[] outcome) throws InterruptedException {
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
        memo.claim("/t/b");
        memo.failing = Map.of("/t/c", ErrorCode.STALE, "/t/d", ErrorCode.UNAVAILABLE);
        memo.gate = new CountDownLatch(1);
        ahead.walkedInto("/t/a"); // b was listed lately, c is listed ahead
        ahead.walkedInto("/t/b"); // c is in flight, d is listed ahead
        Object[] onC = new Object[1];
        Object[] onD = new Object[1];
        Thread c = awaiting("/t/c", onC);
        Thread d = awaiting("/t/d", onD);
        memo.gate.countDown();
        c.join(5000);
        d.join(5000);
        // A directory gone: the lookup goes on by itself. An unreachable meta-server: the lookup
        // fails with it rather than wait as long again.
        assertThat(onC[0]).isEqualTo(true);
        assertThat(onD[0]).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(memo.listedOrder).isEmpty();
        assertThat(memo.claimed).containsExactly("/t/b"); // the failed ones gave their claims back
        ahead.answered("/t/c/x");
        assertThat(ahead.toString()).isEqualTo("directory listings read ahead 0, used 0");
        assertThat(ahead.awaitListing("/t/d")).isFalse();
    }

    @Test
    void atMostQueuedListingsWaitOrRun_andALookupWaitsForTheOneItNeeds() throws Exception {
        List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
        ahead.subdirectories("/t", names);
        memo.gate = new CountDownLatch(1);
        for (String n : names) {
            ahead.walkedInto("/t/" + n);
        }
        // Every directory but the first was asked for; the one thread is held, so only QUEUED got in.
        assertThat(memo.claimed).hasSize(DirectoryReadAhead.QUEUED);
        Thread waiter = new Thread(() -> ahead.awaitListing("/t/b"));
        waiter.start();
        waiter.join(200);
        assertThat(waiter.isAlive()).as("a lookup waits for a listing in flight").isTrue();
        memo.gate.countDown();
        waiter.join(5000);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(memo.listedOrder).contains("/t/b");
        settle("/t/b", "/t/c", "/t/d", "/t/e");
        assertThat(memo.listedOrder).hasSize(DirectoryReadAhead.QUEUED);
        assertThat(ahead.awaitListing("/t/b")).as("nothing in flight any more").isFalse();
    }
}
