package org.quorumfs.dataserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quorumfs.dataserver.RecentDirectories.ReplicaKey;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class RecentDirectoriesTest {
    @TempDir
    Path dir;

    private static final ReplicaKey FIRST = new ReplicaKey(0, 0, 0);
    private static final ReplicaKey LAST = new ReplicaKey(-1L, Integer.MAX_VALUE, -1L);

    private void file(Path d, long ino, int index, long version) throws IOException {
        Files.createDirectories(d);
        Files.createFile(d.resolve(String.format("%016x.%010d.%016x", ino, index, version)));
    }

    @Test
    void aListedDirectory_answersRanges_andLearnsPutsAndDeletesWithoutListingAgain() throws IOException {
        Path a = dir.resolve("a");
        file(a, 5, 0, 1);
        file(a, 5, 1, 2);
        file(a, 6, 0, 0x8000_0000_0000_0001L); // versions compare unsigned, as names sort
        Files.createFile(a.resolve("0000000000000005.0000000000.0000000000000003.1234.tmp"));
        RecentDirectories recent = new RecentDirectories(100);

        assertThat(recent.range(a, new ReplicaKey(5, 0, 0), new ReplicaKey(5, Integer.MAX_VALUE, -1L)))
                .containsExactly(new ReplicaKey(5, 0, 1), new ReplicaKey(5, 1, 2));
        assertThat(recent.range(a, new ReplicaKey(6, 0, 1), new ReplicaKey(6, 0, -1L)))
                .containsExactly(new ReplicaKey(6, 0, 0x8000_0000_0000_0001L));

        file(a, 5, 2, 7); // on disk, and told: found
        recent.added(a, new ReplicaKey(5, 2, 7));
        file(a, 5, 3, 7); // on disk behind its back (not how the store works): the listing is not repeated
        recent.removed(a, new ReplicaKey(5, 0, 1));
        assertThat(recent.range(a, new ReplicaKey(5, 0, 0), new ReplicaKey(5, Integer.MAX_VALUE, -1L)))
                .containsExactly(new ReplicaKey(5, 1, 2), new ReplicaKey(5, 2, 7));
        assertThat(recent.size()).isEqualTo(3);
    }

    @Test
    void putsToADirectoryNotListedYet_areNotRemembered_butItsFirstListingFindsThem() throws IOException {
        Path a = dir.resolve("a");
        RecentDirectories recent = new RecentDirectories(100);
        file(a, 1, 0, 1);
        recent.added(a, new ReplicaKey(1, 0, 1));
        assertThat(recent.size()).isZero();
        assertThat(recent.range(a, FIRST, LAST)).containsExactly(new ReplicaKey(1, 0, 1));
        assertThat(recent.range(dir.resolve("never-made"), FIRST, LAST)).isEmpty();
    }

    @Test
    void remembersAtMostItsLimit_forgettingTheLeastRecentlyUsedDirectory_andListsAnOversizedOneEachTime() throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Path big = dir.resolve("big");
        for (int i = 1; i <= 4; i++) {
            file(a, i, 0, 1);
            file(b, 100 + i, 0, 1);
        }
        for (int i = 1; i <= 12; i++) {
            file(big, 1000 + i, 0, 1);
        }
        RecentDirectories recent = new RecentDirectories(10);
        recent.range(a, FIRST, LAST);
        recent.range(b, FIRST, LAST);
        assertThat(recent.size()).isEqualTo(8);
        recent.added(b, new ReplicaKey(105, 0, 1));
        recent.added(b, new ReplicaKey(106, 0, 1));
        recent.added(b, new ReplicaKey(107, 0, 1)); // 11 > 10: a, used before b, goes
        assertThat(recent.size()).isEqualTo(7);

        assertThat(recent.range(big, FIRST, LAST)).hasSize(12);
        assertThat(recent.size()).isEqualTo(7);
        file(big, 2000, 0, 1);
        assertThat(recent.range(big, FIRST, LAST)).hasSize(13);
    }
}
