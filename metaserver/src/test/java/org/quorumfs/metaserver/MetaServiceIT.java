package org.quorumfs.metaserver;

import com.google.common.net.HostAndPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quorumfs.common.protocol.AttributeChanges;
import org.quorumfs.common.protocol.Attributes;
import org.quorumfs.common.protocol.BlockCommit;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.DirEntry;
import org.quorumfs.common.protocol.ListedEntry;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.Md5;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.NewEntry;
import org.quorumfs.common.protocol.RemovedEntry;
import org.quorumfs.common.protocol.Wire;
import org.quorumfs.common.rpc.RpcClient;
import org.quorumfs.common.rpc.RpcTimeouts;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Namespace and block-table semantics of a real meta-server, over XML-RPC. */
class MetaServiceIT {
    private static final String ROOT = Wire.ofLong(MetaService.ROOT);

    @TempDir
    Path dir;
    private MetaServer server;
    private MetaService meta;

    @BeforeEach
    void start() throws IOException {
        server = MetaServer.start(dir, InetAddress.getLoopbackAddress(), 0, 4096);
        meta = new RpcClient(HostAndPort.fromParts("127.0.0.1", server.port()), RpcTimeouts.DEFAULT).proxy(MetaService.class);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static void assertCode(ErrorCode code, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(code));
    }

    private Attributes mkdir(String parent, String name) {
        return Attributes.fromWire(meta.mkdir(parent, name, 0755, 0, 0));
    }

    private Attributes create(String parent, String name) {
        return Attributes.fromWire(meta.create(parent, name, 0644, 1000, 1000));
    }

    private static String id(Attributes a) {
        return Wire.ofLong(a.ino());
    }

    private List<String> names(String dirIno) {
        List<String> out = new ArrayList<>();
        for (Object o : meta.readdir(dirIno, "", 10_000)) {
            out.add(DirEntry.fromWire(o).name());
        }
        return out;
    }

    @Test
    void create_isExclusive_andLookupFindsIt() {
        Attributes f = create(ROOT, "file1");
        assertThat(f.mode()).isEqualTo(0100644);
        assertThat(f.nlink()).isEqualTo(1);
        assertThat(f.uid()).isEqualTo(1000);
        assertThat(Attributes.fromWire(meta.lookup(ROOT, "file1")).ino()).isEqualTo(f.ino());
        assertCode(ErrorCode.EXISTS, () -> create(ROOT, "file1"));
        assertCode(ErrorCode.NOT_FOUND, () -> meta.lookup(ROOT, "nope"));
    }

    @Test
    void mkdir_countsLinks_andRmdirRefusesNonEmpty() {
        Attributes d = mkdir(ROOT, "d");
        mkdir(id(d), "sub");
        assertThat(Attributes.fromWire(meta.getattr(id(d))).nlink()).isEqualTo(3);
        assertThat(Attributes.fromWire(meta.getattr(ROOT)).nlink()).isEqualTo(3);
        assertCode(ErrorCode.NOT_EMPTY, () -> meta.rmdir(ROOT, "d"));
        assertCode(ErrorCode.IS_DIRECTORY, () -> meta.unlink(ROOT, "d"));
        meta.rmdir(id(d), "sub");
        meta.rmdir(ROOT, "d");
        assertThat(Attributes.fromWire(meta.getattr(ROOT)).nlink()).isEqualTo(2);
        assertCode(ErrorCode.STALE, () -> meta.getattr(id(d)));
    }

    @Test
    void everyChangeOfAnEntry_answersItsParentsNewAttributes() throws InterruptedException {
        Attributes root = Attributes.fromWire(meta.getattr(ROOT));
        Thread.sleep(2); // times are nanoseconds of the meta-server's clock: let it move
        NewEntry d = NewEntry.fromWire(meta.mkdir(ROOT, "d", 0755, 0, 0));
        assertThat(d.parent().ino()).isEqualTo(MetaService.ROOT);
        assertThat(d.parent().nlink()).isEqualTo(root.nlink() + 1);
        assertThat(d.parent().mtimeNs()).isGreaterThan(root.mtimeNs());
        assertThat(d.parent()).isEqualTo(Attributes.fromWire(meta.getattr(ROOT)));

        NewEntry f = NewEntry.fromWire(meta.createAndOpen(session(), id(d.attributes()), "f", 0644, 0, 0));
        assertThat(f.parent()).isEqualTo(Attributes.fromWire(meta.getattr(id(d.attributes()))));
        assertThat(Attributes.fromWire(meta.create(id(d.attributes()), "g", 0644, 0, 0)))
                .as("read as plain attributes, as before").isEqualTo(Attributes.fromWire(meta.lookup(id(d.attributes()), "g")));
        NewEntry hard = NewEntry.fromWire(meta.link(id(f.attributes()), id(d.attributes()), "hard"));
        assertThat(hard.attributes().nlink()).isEqualTo(2);
        assertThat(hard.parent()).isEqualTo(Attributes.fromWire(meta.getattr(id(d.attributes()))));
        NewEntry s = NewEntry.fromWire(meta.symlink(id(d.attributes()), "s", "f", 0, 0));
        NewEntry n = NewEntry.fromWire(meta.mknod(id(d.attributes()), "p", 0010644, 0, 0, "0"));
        assertThat(n.parent().mtimeNs()).isGreaterThanOrEqualTo(s.parent().mtimeNs());

        RemovedEntry u = RemovedEntry.fromWire(meta.unlink(id(d.attributes()), "g"));
        assertThat(u.parent()).isEqualTo(Attributes.fromWire(meta.getattr(id(d.attributes()))));
        assertThat(u.freed()).isEqualTo(u.ino());
        mkdir(ROOT, "d2");
        RemovedEntry r = RemovedEntry.fromWire(meta.rmdir(ROOT, "d2"));
        assertThat(r.parent()).isEqualTo(Attributes.fromWire(meta.getattr(ROOT)));
        assertThat(r.parent().nlink()).isEqualTo(root.nlink() + 1);
    }

    @Test
    void rmdir_ofAFile_isNotDirectory_andLookupUnderAFile_isNotDirectory() {
        Attributes f = create(ROOT, "f");
        assertCode(ErrorCode.NOT_DIRECTORY, () -> meta.rmdir(ROOT, "f"));
        assertCode(ErrorCode.NOT_DIRECTORY, () -> meta.lookup(id(f), "x"));
        assertCode(ErrorCode.NOT_DIRECTORY, () -> create(id(f), "x"));
    }

    @Test
    void rename_withinAndAcrossDirectories_keepsTheInode() {
        Attributes a = mkdir(ROOT, "a");
        Attributes b = mkdir(ROOT, "b");
        Attributes f = create(id(a), "f");
        meta.rename(id(a), "f", id(a), "g");
        assertThat(names(id(a))).containsExactly("g");
        meta.rename(id(a), "g", id(b), "h");
        assertThat(names(id(a))).isEmpty();
        assertThat(Attributes.fromWire(meta.lookup(id(b), "h")).ino()).isEqualTo(f.ino());
        Attributes sub = mkdir(id(a), "sub");
        meta.rename(id(a), "sub", id(b), "sub");
        assertThat(Attributes.fromWire(meta.getattr(id(a))).nlink()).isEqualTo(2);
        assertThat(Attributes.fromWire(meta.getattr(id(b))).nlink()).isEqualTo(3);
        assertThat(Attributes.fromWire(meta.lookup(id(b), "sub")).ino()).isEqualTo(sub.ino());
    }

    @Test
    void rename_overAFile_replacesIt_andReportsTheFreedInode() {
        Attributes x = create(ROOT, "x");
        Attributes y = create(ROOT, "y");
        assertThat(meta.rename(ROOT, "x", ROOT, "y")).isEqualTo(id(y));
        assertThat(Attributes.fromWire(meta.lookup(ROOT, "y")).ino()).isEqualTo(x.ino());
        assertCode(ErrorCode.STALE, () -> meta.getattr(id(y)));
    }

    @Test
    void rename_refusesNonEmptyDirectory_mismatchedKinds_andMovingIntoItself() {
        Attributes d = mkdir(ROOT, "d");
        Attributes e = mkdir(ROOT, "e");
        create(id(e), "inside");
        create(ROOT, "file");
        assertCode(ErrorCode.NOT_EMPTY, () -> meta.rename(ROOT, "d", ROOT, "e"));
        assertCode(ErrorCode.NOT_DIRECTORY, () -> meta.rename(ROOT, "d", ROOT, "file"));
        assertCode(ErrorCode.IS_DIRECTORY, () -> meta.rename(ROOT, "file", ROOT, "d"));
        Attributes deep = mkdir(id(d), "deep");
        assertCode(ErrorCode.INVALID_MOVE, () -> meta.rename(ROOT, "d", id(deep), "loop"));
        assertCode(ErrorCode.INVALID_MOVE, () -> meta.rename(ROOT, "d", id(d), "self"));
        meta.rename(ROOT, "d", ROOT, "empty-target-ok");
        mkdir(ROOT, "empty");
        meta.rename(ROOT, "empty-target-ok", ROOT, "empty");
        assertThat(names(ROOT)).containsExactly("e", "empty", "file");
    }

    @Test
    void hardLinks_countLinks_andTheLastUnlinkFreesTheInode() {
        Attributes f = create(ROOT, "f");
        Attributes d = mkdir(ROOT, "d");
        assertThat(Attributes.fromWire(meta.link(id(f), id(d), "f2")).nlink()).isEqualTo(2);
        assertCode(ErrorCode.NOT_PERMITTED, () -> meta.link(id(d), ROOT, "dirlink"));
        assertCode(ErrorCode.EXISTS, () -> meta.link(id(f), ROOT, "d"));
        assertThat(RemovedEntry.fromWire(meta.unlink(ROOT, "f")).freed()).isZero();
        assertThat(Attributes.fromWire(meta.getattr(id(f))).nlink()).isEqualTo(1);
        RemovedEntry last = RemovedEntry.fromWire(meta.unlink(id(d), "f2"));
        assertThat(last.freed()).isEqualTo(f.ino());
        assertThat(last.ino()).isEqualTo(f.ino());
    }

    @Test
    void symlink_keepsItsTarget() {
        Attributes l = Attributes.fromWire(meta.symlink(ROOT, "link", "../some/where", 0, 0));
        assertThat(l.mode() & 0170000).isEqualTo(0120000);
        assertThat(l.size()).isEqualTo("../some/where".length());
        assertThat(meta.readlink(id(l))).isEqualTo("../some/where");
        Attributes f = create(ROOT, "f");
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.readlink(id(f)));
    }

    @Test
    void setattr_changesPermissionsOwnerAndTimes_butNeverTheType() {
        Attributes f = create(ROOT, "f");
        Attributes a = Attributes.fromWire(meta.setattr(id(f), AttributeChanges.none().withMode(0170600)
                .withOwner(7, 8).withTimes(java.util.OptionalLong.of(5_000_000_000L),
                        java.util.OptionalLong.of(6_000_000_000L)).toWire()));
        assertThat(a.mode()).isEqualTo(0100600);
        assertThat(a.uid()).isEqualTo(7);
        assertThat(a.gid()).isEqualTo(8);
        assertThat(a.atimeNs()).isEqualTo(5_000_000_000L);
        assertThat(a.mtimeNs()).isEqualTo(6_000_000_000L);
    }

    @Test
    void readdir_pagesInNameOrder() {
        Attributes d = mkdir(ROOT, "big");
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 2_500; i++) {
            String name = "entry-" + i;
            create(id(d), name);
            expected.add(name);
        }
        Collections.sort(expected);
        List<String> seen = new ArrayList<>();
        String after = "";
        while (true) {
            Object[] page = meta.readdir(id(d), after, 1000);
            for (Object o : page) {
                seen.add(DirEntry.fromWire(o).name());
            }
            if (page.length < 1000) {
                break;
            }
            after = seen.get(seen.size() - 1);
        }
        assertThat(seen).isEqualTo(expected);
    }

    @Test
    void readdirPlus_givesEachEntrysAttributes_asGetattrDoes_pageByPage() {
        Attributes d = mkdir(ROOT, "plus");
        for (int i = 0; i < 1_200; i++) {
            create(id(d), "f" + i);
        }
        mkdir(id(d), "sub");
        meta.symlink(id(d), "link", "f1", 0, 0);
        List<ListedEntry> seen = new ArrayList<>();
        String after = "";
        while (true) {
            Object[] page = meta.readdirPlus(id(d), after, 1000);
            for (Object o : page) {
                seen.add(ListedEntry.fromWire(o));
            }
            if (page.length < 1000) {
                break;
            }
            after = seen.get(seen.size() - 1).name();
        }
        assertThat(seen).hasSize(1_202);
        assertThat(seen).extracting(ListedEntry::name).isSorted();
        for (ListedEntry e : seen) {
            assertThat(e.attributes()).isEqualTo(Attributes.fromWire(meta.getattr(id(e.attributes()))));
        }
        assertCode(ErrorCode.NOT_DIRECTORY, () -> meta.readdirPlus(id(seen.get(0).attributes()), "", 10));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.readdirPlus(ROOT, "", 0));
    }

    @Test
    void hostileArguments_areRefusedCleanly_andChangeNothing() {
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.getattr("../../etc/passwd"));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.getattr("-1"));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.getattr("99999999999999999999999"));
        assertCode(ErrorCode.NAME_TOO_LONG, () -> create(ROOT, "x".repeat(256)));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> create(ROOT, "a/b"));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> create(ROOT, ".."));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.readdir(ROOT, "", 1_000_000));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.commitBlock(ROOT, Map.of("index", "zero")));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.allocateVersions(-5));
        assertThat(names(ROOT)).isEmpty();
        create(ROOT, "x".repeat(255)); // the longest legal name is fine
    }

    private BlockCommit commit(int index, long version, long expected, String content) {
        return new BlockCommit(new BlockRecord(index, version, content.length(), Md5.hex(content.getBytes())),
                expected, List.of());
    }

    @Test
    void commitBlock_isCompareAndSet_soOnlyOneOfTwoWritersWins() {
        Attributes f = create(ROOT, "f");
        long v = Wire.toLong(meta.allocateVersions(3), "v");
        meta.commitBlock(id(f), commit(0, v, 0, "first").toWire());
        meta.commitBlock(id(f), commit(0, v + 1, v, "second").toWire());
        assertCode(ErrorCode.VERSION_CONFLICT, () -> meta.commitBlock(id(f), commit(0, v + 2, v, "loser").toWire()));
        BlockStatus b = BlockStatus.fromWire(meta.blocks(id(f), 0, 1)[0]);
        assertThat(b.block().version()).isEqualTo(v + 1);
        assertThat(Attributes.fromWire(meta.getattr(id(f))).size()).isEqualTo("second".length());
    }

    @Test
    void commitBlock_refusesVersionsNeverAllocated() {
        Attributes f = create(ROOT, "f");
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.commitBlock(id(f), commit(0, 1L << 40, 0, "x").toWire()));
    }

    @Test
    void commitBlock_recordsMissedServers_andANewVersionReplacesThem() {
        Attributes f = create(ROOT, "f");
        long v = Wire.toLong(meta.allocateVersions(2), "v");
        BlockRecord b = new BlockRecord(0, v, 1, Md5.hex("a".getBytes()));
        meta.commitBlock(id(f), new BlockCommit(b, 0, List.of("127.0.0.1:9")).toWire());
        assertThat(BlockStatus.fromWire(meta.blocks(id(f), 0, 1)[0]).missed()).containsExactly("127.0.0.1:9");
        assertThat(meta.missedReplicas(10)).hasSize(1);
        meta.commitBlock(id(f), commit(0, v + 1, v, "b").toWire());
        assertThat(BlockStatus.fromWire(meta.blocks(id(f), 0, 1)[0]).missed()).isEmpty();
    }

    @Test
    void clearMissed_onlyForTheVersionHealed_neverANewerOneTheServerAlsoMissed() {
        Attributes f = create(ROOT, "f");
        long v = Wire.toLong(meta.allocateVersions(2), "v");
        meta.commitBlock(id(f), new BlockCommit(new BlockRecord(0, v, 1, Md5.hex("a".getBytes())), 0,
                List.of("127.0.0.1:9")).toWire());
        // The same server misses the next version too; a late repair of the first must not clear that.
        meta.commitBlock(id(f), new BlockCommit(new BlockRecord(0, v + 1, 1, Md5.hex("b".getBytes())), v,
                List.of("127.0.0.1:9")).toWire());
        assertThat(meta.clearMissed(id(f), 0, "127.0.0.1:9", Wire.ofLong(v))).isFalse();
        assertThat(meta.missedReplicas(10)).hasSize(1);
        assertThat(meta.clearMissed(id(f), 0, "127.0.0.1:9", Wire.ofLong(v + 1))).isTrue();
        assertThat(meta.missedReplicas(10)).isEmpty();
    }

    @Test
    void lease_isHeldByOneHolderAtATime_untilItLapses() throws Exception {
        assertThat(meta.lease("healer", "a", 300)).isTrue();
        assertThat(meta.lease("healer", "b", 300)).isFalse();
        assertThat(meta.lease("healer", "a", 300)).as("renewed by its holder").isTrue();
        Thread.sleep(400);
        assertThat(meta.lease("healer", "b", 300)).as("taken over after it lapsed").isTrue();
        assertThat(meta.lease("healer", "a", 300)).isFalse();
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.lease("healer", "a", 10));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.lease("bad name!", "a", 300));
    }

    @Test
    void state_keepsValuesAcrossARestart() throws Exception {
        assertThat(meta.state("scrub.cursor")).isEmpty();
        meta.setState("scrub.cursor", "12/3");
        restart(java.time.Duration.ofSeconds(60));
        assertThat(meta.state("scrub.cursor")).isEqualTo("12/3");
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.setState("k", "x".repeat(4097)));
    }

    @Test
    void blocksAfter_pagesEveryCommittedBlock_inInodeAndIndexOrder() {
        Attributes f = create(ROOT, "f");
        Attributes g = create(ROOT, "g");
        long v = Wire.toLong(meta.allocateVersions(3), "v");
        meta.commitBlock(id(g), commit(0, v, 0, "g0").toWire());
        meta.commitBlock(id(f), commit(1, v + 1, 0, "f1").toWire());
        meta.commitBlock(id(f), commit(0, v + 2, 0, "f0").toWire());
        Object[] first = meta.blocksAfter("0", -1, 2);
        assertThat(first).hasSize(2);
        assertThat(Wire.toStruct(first[1], "b").get("ino")).isEqualTo(id(f));
        assertThat(BlockStatus.fromWire(Wire.toStruct(first[1], "b").get("block")).block().index()).isEqualTo(1);
        Object[] rest = meta.blocksAfter(id(f), 1, 10);
        assertThat(rest).hasSize(1);
        assertThat(Wire.toStruct(rest[0], "b").get("ino")).isEqualTo(id(g));
        assertThat(Wire.toLong(meta.statfs().get("blocks"), "blocks")).isEqualTo(3);
    }

    @Test
    void truncate_dropsBlocksPastTheEnd_andDemandsTheStraddlingBlockCut() {
        Attributes f = create(ROOT, "f");
        long v = Wire.toLong(meta.allocateVersions(4), "v");
        String full = "x".repeat(4096);
        meta.commitBlock(id(f), commit(0, v, 0, full).toWire());
        meta.commitBlock(id(f), commit(1, v + 1, 0, full).toWire());
        assertThat(Attributes.fromWire(meta.getattr(id(f))).size()).isEqualTo(8192);
        assertCode(ErrorCode.VERSION_CONFLICT, () -> meta.truncate(id(f), "100", Map.of()));
        Map<String, Object> r = meta.truncate(id(f), "100", commit(0, v + 2, v, "x".repeat(100)).toWire());
        assertThat(Attributes.fromWire(r.get("attributes")).size()).isEqualTo(100);
        assertThat((Object[]) r.get("dropped")).hasSize(1);
        assertThat(meta.blocks(id(f), 0, 10)).hasSize(1);
        Map<String, Object> grown = meta.truncate(id(f), "1000000", Map.of());
        assertThat(Attributes.fromWire(grown.get("attributes")).size()).isEqualTo(1_000_000);
    }

    @Test
    void pieceMd5s_areCommittedWithTheBlock_andMalformedOnesRefused() {
        Attributes f = create(ROOT, "f");
        long v = Wire.toLong(meta.allocateVersions(2), "v");
        byte[] content = "piece by piece".getBytes();
        meta.commitBlock(id(f), new BlockCommit(BlockRecord.of(0, v, content), 0, List.of()).toWire());
        BlockRecord back = BlockStatus.fromWire(meta.blocks(id(f), 0, 1)[0]).block();
        assertThat(back.pieces()).isEqualTo(Md5.hex(content)).isEqualTo(Md5.pieces(content));
        Map<String, Object> bad = new java.util.HashMap<>(commit(0, v + 1, v, "x").toWire());
        bad.put("pieces", "zz");
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.commitBlock(id(f), bad));
    }

    @Test
    void aSecondMetaServerOnTheSameDirectory_failsToStart_andTheFirstServesOn() {
        assertThatThrownBy(() -> MetaServer.start(dir, InetAddress.getLoopbackAddress(), 0, 4096))
                .isInstanceOf(IOException.class).hasMessageContaining("cannot open the meta-server store")
                .hasMessageContaining("locked");
        create(ROOT, "f");
        assertThat(names(ROOT)).containsExactly("f");
    }

    @Test
    void aStoreFromBeforePieceMd5s_opens_andItsBlocksReadAsWithoutPieces() throws Exception {
        server.close();
        Path old = dir.resolve("old");
        java.nio.file.Files.createDirectories(old);
        try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + old.resolve("meta.db"));
             var s = db.createStatement()) {
            s.executeUpdate("CREATE TABLE blocks(ino INTEGER NOT NULL, idx INTEGER NOT NULL, version INTEGER NOT NULL,"
                    + " length INTEGER NOT NULL, md5 TEXT NOT NULL, PRIMARY KEY(ino, idx)) WITHOUT ROWID");
            s.executeUpdate("CREATE TABLE inodes(ino INTEGER PRIMARY KEY AUTOINCREMENT, mode INTEGER NOT NULL,"
                    + " nlink INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL, size INTEGER NOT NULL,"
                    + " atime INTEGER NOT NULL, mtime INTEGER NOT NULL, ctime INTEGER NOT NULL, target TEXT)");
        }
        server = MetaServer.start(old, InetAddress.getLoopbackAddress(), 0, 4096);
        meta = new RpcClient(HostAndPort.fromParts("127.0.0.1", server.port()), RpcTimeouts.DEFAULT).proxy(MetaService.class);
        Attributes f = create(ROOT, "f");
        long v = Wire.toLong(meta.allocateVersions(1), "v");
        meta.commitBlock(id(f), commit(0, v, 0, "legacy").toWire()); // a client that sends no pieces
        assertThat(BlockStatus.fromWire(meta.blocks(id(f), 0, 1)[0]).block().hasPieces()).isFalse();
        assertThat(Attributes.fromWire(meta.getattr(ROOT)).rdev()).isZero(); // inodes from before devices
    }

    private String session() {
        return Wire.toStr(meta.openSession().get("session"), "session");
    }

    private void restart(java.time.Duration lease) throws IOException {
        server.close();
        server = MetaServer.start(dir, InetAddress.getLoopbackAddress(), 0, 4096, lease);
        meta = new RpcClient(HostAndPort.fromParts("127.0.0.1", server.port()), RpcTimeouts.DEFAULT).proxy(MetaService.class);
    }

    @Test
    void anUnlinkedFileHeldOpen_livesWithoutAName_untilItsLastClose() {
        String s = session();
        Attributes f = create(ROOT, "f");
        Map<String, Object> opened = meta.open(s, id(f), 64);
        assertThat(Attributes.fromWire(opened.get("attributes")).ino()).isEqualTo(f.ino());
        assertThat(RemovedEntry.fromWire(meta.unlink(ROOT, "f")).freed()).isZero();
        assertCode(ErrorCode.NOT_FOUND, () -> meta.lookup(ROOT, "f"));
        assertThat(Attributes.fromWire(meta.getattr(id(f))).nlink()).isZero();
        long v = Wire.toLong(meta.allocateVersions(1), "v");
        meta.commitBlock(id(f), commit(0, v, 0, "written after the unlink").toWire()); // the handle still writes
        assertThat(meta.close(s, id(f))).isEqualTo(id(f));
        assertCode(ErrorCode.STALE, () -> meta.getattr(id(f)));
    }

    @Test
    void closeEach_closesEveryInodeItNames_inOneCall_andFreesWhatThatLeavesUnheld() {
        String s = session();
        Attributes a = create(ROOT, "a");
        Attributes b = create(ROOT, "b");
        meta.open(s, id(a), 0);
        meta.open(s, id(a), 0);
        meta.open(s, id(b), 0);
        meta.unlink(ROOT, "a");
        meta.unlink(ROOT, "b");
        assertThat(meta.closeEach(s, new Object[] {id(a), id(b)})).containsExactly(id(b));
        assertThat(Attributes.fromWire(meta.getattr(id(a))).nlink()).as("held once more").isZero();
        assertThat(meta.closeEach(s, new Object[] {id(a)})).containsExactly(id(a));
        assertCode(ErrorCode.STALE, () -> meta.getattr(id(a)));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.closeEach(s, new Object[0]));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.closeEach(s, new Object[] {"x"}));
        Object[] tooMany = new Object[10_001];
        java.util.Arrays.fill(tooMany, id(b));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.closeEach(s, tooMany));
    }

    @Test
    void holds_areCounted_perSession_andCreateAndOpenHoldsFromTheStart() {
        String a = session();
        String b = session();
        Attributes f = Attributes.fromWire(meta.createAndOpen(a, ROOT, "f", 0644, 0, 0));
        meta.open(a, id(f), 0);
        meta.open(b, id(f), 0);
        Attributes g = create(ROOT, "g");
        assertThat(meta.rename(ROOT, "g", ROOT, "f")).isEqualTo("0"); // renamed over while held
        assertThat(meta.close(a, id(f))).isEqualTo("0");
        assertThat(meta.close(a, id(f))).isEqualTo("0");
        assertThat(Attributes.fromWire(meta.getattr(id(f))).nlink()).isZero();
        assertThat(meta.closeSession(b)).containsExactly(id(f));
        assertCode(ErrorCode.STALE, () -> meta.getattr(id(f)));
        assertThat(Attributes.fromWire(meta.lookup(ROOT, "f")).ino()).isEqualTo(g.ino());
    }

    @Test
    void aLapsedSession_losesItsHolds_andItsUnlinkedFilesBecomeGarbage() throws Exception {
        restart(java.time.Duration.ofMillis(300));
        String s = session();
        Attributes f = Attributes.fromWire(meta.createAndOpen(s, ROOT, "f", 0644, 0, 0));
        meta.unlink(ROOT, "f");
        for (int i = 0; i < 50 && meta.garbage(10).length == 0; i++) {
            Thread.sleep(100);
        }
        assertThat(meta.garbage(10)).containsExactly(id(f));
        assertCode(ErrorCode.STALE, () -> meta.getattr(id(f)));
        assertThat(meta.renewSession(s)).as("the mount learns its holds lapsed").isFalse();
        assertThat(meta.renewSession(s)).isTrue();
        assertThat(meta.clearGarbage(id(f))).isTrue();
        assertThat(meta.garbage(10)).isEmpty();
    }

    @Test
    void holds_surviveAMetaServerRestart() throws Exception {
        String s = session();
        Attributes f = Attributes.fromWire(meta.createAndOpen(s, ROOT, "f", 0644, 0, 0));
        meta.unlink(ROOT, "f");
        restart(java.time.Duration.ofSeconds(60));
        assertThat(meta.renewSession(s)).as("known again from its holds").isTrue();
        assertThat(Attributes.fromWire(meta.getattr(id(f))).nlink()).isZero();
        assertThat(meta.close(s, id(f))).isEqualTo(id(f));
    }

    @Test
    void mknod_makesSpecialFiles_withTheirTypeAndDevice_andNoBlocks() {
        Attributes fifo = Attributes.fromWire(meta.mknod(ROOT, "fifo", 0010644, 0, 0, "0"));
        Attributes chr = Attributes.fromWire(meta.mknod(ROOT, "chr", 0020600, 0, 0, "1029"));
        Attributes sock = Attributes.fromWire(meta.mknod(ROOT, "sock", 0140755, 0, 0, "0"));
        Attributes reg = Attributes.fromWire(meta.mknod(ROOT, "reg", 0644, 0, 0, "0"));
        assertThat(fifo.type()).isEqualTo(org.quorumfs.common.protocol.FileType.FIFO);
        assertThat(chr.type()).isEqualTo(org.quorumfs.common.protocol.FileType.CHARACTER_DEVICE);
        assertThat(chr.rdev()).isEqualTo(1029);
        assertThat(sock.mode()).isEqualTo(0140755);
        assertThat(reg.type()).isEqualTo(org.quorumfs.common.protocol.FileType.REGULAR);
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.mknod(ROOT, "d", 0040755, 0, 0, "0"));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.mknod(ROOT, "l", 0120777, 0, 0, "0"));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.mknod(ROOT, "x", 0170644, 0, 0, "0"));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.blocks(id(fifo), 0, 1));
        assertCode(ErrorCode.EXISTS, () -> meta.mknod(ROOT, "fifo", 0010644, 0, 0, "0"));
    }

    @Test
    void xattrs_setGetListRemove_withCreateReplaceFlags_andLimits() {
        Attributes f = create(ROOT, "f");
        byte[] blue = "blue".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        meta.setxattr(id(f), "user.color", blue, 0);
        meta.setxattr(id(f), "user.empty", new byte[0], MetaService.XATTR_CREATE);
        assertThat(meta.getxattr(id(f), "user.color")).isEqualTo(blue);
        assertThat(meta.listxattr(id(f))).containsExactly("user.color", "user.empty");
        assertCode(ErrorCode.EXISTS, () -> meta.setxattr(id(f), "user.color", blue, MetaService.XATTR_CREATE));
        assertCode(ErrorCode.NO_DATA, () -> meta.setxattr(id(f), "user.none", blue, MetaService.XATTR_REPLACE));
        assertCode(ErrorCode.NO_DATA, () -> meta.getxattr(id(f), "user.none"));
        assertCode(ErrorCode.NOT_SUPPORTED, () -> meta.setxattr(id(f), "trusted.x", blue, 0));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.setxattr(id(f), "user.x", blue, 3));
        assertCode(ErrorCode.NAME_TOO_LONG, () -> meta.setxattr(id(f), "user." + "n".repeat(251), blue, 0));
        assertCode(ErrorCode.TOO_LARGE, () -> meta.setxattr(id(f), "user.big", new byte[65537], 0));
        for (int i = 0; i < 15; i++) {
            meta.setxattr(id(f), "user.v" + i, new byte[65536], 0);
        }
        assertCode(ErrorCode.NO_SPACE, () -> meta.setxattr(id(f), "user.v15", new byte[65536], 0));
        meta.setxattr(id(f), "user.v0", new byte[65536], MetaService.XATTR_REPLACE); // a replacement still fits
        meta.removexattr(id(f), "user.color");
        assertCode(ErrorCode.NO_DATA, () -> meta.removexattr(id(f), "user.color"));
        assertCode(ErrorCode.STALE, () -> meta.getxattr("999999", "user.color"));
    }

    @Test
    void sessionIds_areValidated() {
        Attributes f = create(ROOT, "f");
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.open("", id(f), 0));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.open("a'b; DROP TABLE holds", id(f), 0));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> meta.open(session(), id(f), -1));
        assertCode(ErrorCode.IS_DIRECTORY, () -> meta.open(session(), ROOT, 0));
    }

    @Test
    void versions_areUniqueAcrossCalls() {
        long a = Wire.toLong(meta.allocateVersions(10), "a");
        long b = Wire.toLong(meta.allocateVersions(10), "b");
        assertThat(b).isGreaterThanOrEqualTo(a + 10);
    }
}
