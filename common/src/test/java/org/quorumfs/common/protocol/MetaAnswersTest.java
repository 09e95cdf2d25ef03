package org.quorumfs.common.protocol;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The meta-server's struct answers and page entries on the wire: the members a stock client sees, round trips, malformed ones refused. */
class MetaAnswersTest {
    private static final Attributes FILE = new Attributes(7, 0100644, 1, 0, 0, 5, 1, 2, 3, 0);
    private static final BlockRecord BLOCK = BlockRecord.of(0, 3, "hello".getBytes(StandardCharsets.UTF_8));

    @Test
    void anOpenedFile_travelsAsAttributesAndBlocks_andComesBack() {
        OpenedFile opened = new OpenedFile(FILE, List.of(new BlockStatus(BLOCK, List.of("127.0.0.1:1"))));
        assertThat(opened.toWire()).containsOnlyKeys("attributes", "blocks");
        assertThat(OpenedFile.fromWire(opened.toWire())).isEqualTo(opened);
    }

    @Test
    void aTruncation_travelsAsAttributesAndDroppedBlocks_andComesBack() {
        Truncation t = new Truncation(FILE, List.of(BLOCK));
        assertThat(t.toWire()).containsOnlyKeys("attributes", "dropped");
        assertThat(Truncation.fromWire(t.toWire())).isEqualTo(t);
    }

    @Test
    void aSessionGrant_andTheCounts_comeBack() {
        SessionGrant g = new SessionGrant("a-session", Duration.ofSeconds(60));
        assertThat(g.toWire()).isEqualTo(Map.of("session", "a-session", "leaseMillis", 60_000));
        assertThat(SessionGrant.fromWire(g.toWire())).isEqualTo(g);
        FsCounts c = new FsCounts(3, 1L << 40, 9, 2, 1);
        assertThat(c.toWire()).containsEntry("files", 3).containsEntry("bytes", "1099511627776");
        assertThat(FsCounts.fromWire(c.toWire())).isEqualTo(c);
    }

    @Test
    void theHealersPages_missedReplicasAndFileBlocks_comeBack() {
        MissedReplica m = new MissedReplica(7, 2, "127.0.0.1:51235");
        assertThat(m.toWire()).isEqualTo(Map.of("ino", "7", "index", 2, "server", "127.0.0.1:51235"));
        assertThat(MissedReplica.fromWire(m.toWire())).isEqualTo(m);
        FileBlock b = new FileBlock(7, new BlockStatus(BLOCK, List.of()));
        assertThat(FileBlock.fromWire(b.toWire())).isEqualTo(b);
        assertThatThrownBy(() -> MissedReplica.fromWire(Map.of("ino", "7", "index", 2, "server", "a b")))
                .isInstanceOf(FsException.class);
        assertThatThrownBy(() -> FileBlock.fromWire(Map.of("ino", "0", "block", BLOCK.toWire()))).isInstanceOf(FsException.class);
    }

    @Test
    void aListedEntry_travelsAsOneArrayByPosition_andComesBack_asDoesTheStructOlderServersSend() {
        ListedEntry small = new ListedEntry("f", FILE, BLOCK);
        assertThat(small.toWire()).containsExactly("f", "7", 0100644, 1, 0, 0, "5", "1", "2", "3", "0",
                0, "3", 5, BLOCK.md5(), BLOCK.pieces());
        assertThat(ListedEntry.fromWire(small.toWire())).isEqualTo(small);
        ListedEntry dir = new ListedEntry("d", new Attributes(8, 040755, 2, 1000, 100, 4096, 4, 5, 6, 0));
        assertThat(dir.toWire()).hasSize(11);
        assertThat(ListedEntry.fromWire(dir.toWire())).isEqualTo(dir);

        Map<String, Object> old = new java.util.HashMap<>(FILE.toWire());
        old.put("name", "f");
        old.put("firstBlock", BLOCK.toWire());
        assertThat(ListedEntry.fromWire(old)).isEqualTo(small);
        old.remove("firstBlock");
        assertThat(ListedEntry.fromWire(old)).isEqualTo(new ListedEntry("f", FILE));

        Object[] tooShort = java.util.Arrays.copyOf(small.toWire(), 12);
        Object[] noIno = small.toWire();
        noIno[1] = "0";
        Object[] badMd5 = small.toWire();
        badMd5[14] = "not an md5";
        for (Object[] bad : List.of(tooShort, noIno, badMd5)) {
            assertThatThrownBy(() -> ListedEntry.fromWire(bad))
                    .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
        assertThatThrownBy(() -> ListedEntry.fromWire("f")).isInstanceOf(FsException.class);
    }

    @Test
    void malformedAnswers_areRefusedAsInvalid() {
        assertThatThrownBy(() -> OpenedFile.fromWire(Map.of("attributes", FILE.toWire())))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThatThrownBy(() -> Truncation.fromWire(Map.of("attributes", FILE.toWire(), "dropped", "none")))
                .isInstanceOf(FsException.class);
        assertThatThrownBy(() -> SessionGrant.fromWire(Map.of("session", "s"))).isInstanceOf(FsException.class);
        assertThatThrownBy(() -> FsCounts.fromWire(Map.of("files", 1, "bytes", "-5", "blocks", "0", "missed", "0",
                "garbage", "0"))).isInstanceOf(FsException.class);
    }
}
