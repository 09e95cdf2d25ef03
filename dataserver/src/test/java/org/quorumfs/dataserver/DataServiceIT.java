package org.quorumfs.dataserver;

import com.google.common.net.HostAndPort;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quorumfs.common.protocol.DataService;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.ReplicaInfo;
import org.quorumfs.common.rpc.RpcClient;
import org.quorumfs.common.rpc.RpcTimeouts;
import org.quorumfs.common.testing.ServerProcess;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A real data server over XML-RPC: replicas, their confinement, atomicity and durability. */
class DataServiceIT {
    @TempDir
    Path dir;
    private DataServer server;
    private DataService data;

    @BeforeEach
    void start() throws IOException {
        server = DataServer.start(dir, InetAddress.getLoopbackAddress(), 0);
        data = client(server.port());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static DataService client(int port) {
        return new RpcClient(HostAndPort.fromParts("127.0.0.1", port), RpcTimeouts.DEFAULT).proxy(DataService.class);
    }

    private static void assertCode(ErrorCode code, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(code));
    }

    @Test
    void put_thenGet_returnsTheBytes_andOtherVersionsAreMissing() {
        data.put("7", 3, "42", "hello".getBytes());
        Map<String, Object> got = data.get("7", 3, "42");
        assertThat(got.get("found")).isEqualTo(true);
        assertThat((byte[]) got.get("data")).isEqualTo("hello".getBytes());
        assertThat(data.get("7", 3, "41").get("found")).isEqualTo(false);
        assertThat(data.get("8", 3, "42").get("found")).isEqualTo(false);
        assertThat(Files.exists(server.replicaPath(7, 3, 42))).isTrue();
    }

    @Test
    void check_vouchesForAReplica_withItsLengthAndMd5_withoutSendingIt() throws IOException {
        data.put("7", 0, "3", "hello".getBytes());
        assertThat(data.check("7", 0, "3")).isEqualTo(Map.of("found", true, "length", 5,
                "md5", org.quorumfs.common.protocol.Md5.hex("hello".getBytes())));
        Files.writeString(server.replicaPath(7, 0, 3), "rotten");
        assertThat(data.check("7", 0, "3").get("md5")).isEqualTo(org.quorumfs.common.protocol.Md5.hex("rotten".getBytes()));
        assertThat(data.check("7", 0, "4")).isEqualTo(Map.of("found", false));
    }

    @Test
    void getRange_movesOnlyTheRange_andCheckPieces_vouchesPieceByPiece() throws IOException {
        byte[] block = new byte[3 * Limits.PIECE_SIZE + 100];
        new java.util.Random(5).nextBytes(block);
        data.put("9", 1, "4", block);
        Map<String, Object> part = data.getRange("9", 1, "4", Limits.PIECE_SIZE + 10, 50);
        assertThat((byte[]) part.get("data"))
                .isEqualTo(Arrays.copyOfRange(block, Limits.PIECE_SIZE + 10, Limits.PIECE_SIZE + 60));
        assertThat((byte[]) data.getRange("9", 1, "4", block.length - 10, 1000).get("data"))
                .isEqualTo(Arrays.copyOfRange(block, block.length - 10, block.length));
        assertThat((byte[]) data.getRange("9", 1, "4", block.length + 5, 10).get("data")).isEmpty();
        assertThat(data.getRange("9", 1, "5", 0, 10)).isEqualTo(Map.of("found", false));

        String pieces = org.quorumfs.common.protocol.Md5.pieces(block);
        assertThat(data.checkPieces("9", 1, "4", 2, 2).get("pieces")).isEqualTo(pieces.substring(64, 128));
        block[2 * Limits.PIECE_SIZE + 7] ^= 1;
        Files.write(server.replicaPath(9, 1, 4), block);
        assertThat(data.checkPieces("9", 1, "4", 2, 1).get("pieces")).isNotEqualTo(pieces.substring(64, 96));
        assertThat(data.checkPieces("9", 1, "4", 0, 2).get("pieces")).isEqualTo(pieces.substring(0, 64));

        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.getRange("9", 1, "4", -1, 10));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.getRange("9", 1, "4", 0, -10));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.getRange("9", 1, "4", 0, Limits.MAX_BLOCK_SIZE + 1));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.checkPieces("9", 1, "4", 0, 0));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.checkPieces("9", 1, "4", Integer.MAX_VALUE, 1));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.checkPieces("../9", 1, "4", 0, 1));
    }

    @Test
    void replicasOfTheOneDirectoryPerInodeLayout_areMovedAtStart_andServed() throws IOException {
        server.close();
        Path old = dir.resolve("blocks").resolve(String.format("%016x", 7));
        Files.createDirectories(old);
        Files.writeString(old.resolve(String.format("%010d.%016x", 3, 42)), "from before");
        Files.writeString(old.resolve("not-a-replica"), "left alone");
        server = DataServer.start(dir, InetAddress.getLoopbackAddress(), 0);
        data = client(server.port());
        assertThat((byte[]) data.get("7", 3, "42").get("data")).isEqualTo("from before".getBytes());
        assertThat(Files.readString(old.resolve("not-a-replica"))).isEqualTo("left alone");
        assertThat(old.resolve(String.format("%010d.%016x", 3, 42))).doesNotExist();
        assertThat(ReplicaInfo.fromWire(data.list(Map.of(), 10)[0])).usingRecursiveComparison().ignoringFields("modifiedMillis")
                .isEqualTo(new ReplicaInfo(7, 3, 42, 11, 0));
    }

    @Test
    void aStockXmlRpcClient_storesAndFetchesABlock() throws Exception {
        String script = String.join("\n",
                "import hashlib, sys, xmlrpc.client",
                "ds = xmlrpc.client.ServerProxy('http://127.0.0.1:%d/RPC2')" .formatted(server.port()),
                "svc = 'org.quorumfs.common.protocol.DataService.'",
                "block = bytes(range(256)) * 5000",
                "assert getattr(ds, svc + 'put')('11', 2, '77', xmlrpc.client.Binary(block)) is True",
                "got = getattr(ds, svc + 'get')('11', 2, '77')",
                "assert got['found'] and got['data'].data == block",
                "checked = getattr(ds, svc + 'check')('11', 2, '77')",
                "assert checked == {'found': True, 'length': len(block), 'md5': hashlib.md5(block).hexdigest()}",
                "assert getattr(ds, svc + 'get')('11', 2, '78') == {'found': False}",
                "part = getattr(ds, svc + 'getRange')('11', 2, '77', 65536, 10)",
                "assert part['data'].data == block[65536:65546]",
                "try:",
                "    getattr(ds, svc + 'get')('not-a-number', 2, '77')",
                "    raise SystemExit('a malformed id was not refused')",
                "except xmlrpc.client.Fault as f:",
                "    assert f.faultCode == %d and f.faultString, f".formatted(ErrorCode.INVALID_ARGUMENT.wire()),
                "print('ok')");
        Process p = new ProcessBuilder("python3", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).isEqualTo("ok\n");
        byte[] expected = new byte[256 * 5000];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (byte) i;
        }
        assertThat(Files.readAllBytes(server.replicaPath(11, 2, 77))).isEqualTo(expected);
    }

    @Test
    void hostileIds_areRefused_andNothingIsWrittenOutsideBlocks() throws IOException {
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.put("../../etc/passwd", 0, "1", new byte[1]));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.put("1", 0, "../x", new byte[1]));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.put("-1", 0, "1", new byte[1]));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.put("1", -1, "1", new byte[1]));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.put("0", 0, "1", new byte[1]));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.put("99999999999999999999999", 0, "1", new byte[1]));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.get("1/../../..", 0, "1"));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.deleteInode("*"));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.list(Map.of("ino", "x"), 10));
        try (Stream<Path> all = Files.walk(dir)) {
            assertThat(all.filter(Files::isRegularFile)).isEmpty();
        }
    }

    @Test
    void oversizedReplica_isRefused() {
        assertCode(ErrorCode.TOO_LARGE, () -> data.put("1", 0, "1", new byte[Limits.MAX_BLOCK_SIZE + 1]));
        assertThat(data.get("1", 0, "1").get("found")).isEqualTo(false);
    }

    @Test
    void put_replacesAtomically_andLeavesNoTempFiles() throws IOException {
        byte[] a = new byte[1 << 20];
        byte[] b = new byte[1 << 20];
        Arrays.fill(a, (byte) 'a');
        Arrays.fill(b, (byte) 'b');
        data.put("1", 0, "5", a);
        data.put("1", 0, "5", b);
        assertThat((byte[]) data.get("1", 0, "5").get("data")).isEqualTo(b);
        try (Stream<Path> files = Files.list(server.replicaPath(1, 0, 5).getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("0000000000000001.0000000000.0000000000000005");
        }
    }

    @Test
    void unfinishedTempFile_isNeverServed_andIsSweptAtStart() throws IOException {
        data.put("2", 0, "9", "good".getBytes());
        Path torn = server.replicaPath(2, 0, 10).resolveSibling("0000000000.000000000000000a.deadbeef.tmp");
        Files.writeString(torn, "half a replica");
        assertThat(data.get("2", 0, "10").get("found")).isEqualTo(false);
        server.close();
        server = DataServer.start(dir, InetAddress.getLoopbackAddress(), 0);
        data = client(server.port());
        assertThat(Files.exists(torn)).isFalse();
        assertThat((byte[]) data.get("2", 0, "9").get("data")).isEqualTo("good".getBytes());
    }

    @Test
    void prune_deletesOnlyOlderVersions_andDeleteOnlyTheOneNamed() {
        for (String v : List.of("3", "5", "8")) {
            data.put("4", 1, v, v.getBytes());
        }
        assertThat(data.prune("4", 1, "8")).isEqualTo(2);
        assertThat(data.get("4", 1, "8").get("found")).isEqualTo(true);
        data.put("4", 1, "9", "9".getBytes());
        assertThat(data.delete("4", 1, "9")).isEqualTo(1);
        assertThat(data.get("4", 1, "8").get("found")).isEqualTo(true);
        assertThat(data.deleteInode("4")).isEqualTo(1);
        assertThat(data.get("4", 1, "8").get("found")).isEqualTo(false);
    }

    @Test
    void deleteInodes_deletesEveryReplicaOfEachInodeNamed_andNoOther() {
        for (String ino : List.of("20", "21", "22")) {
            data.put(ino, 0, "1", ino.getBytes());
            data.put(ino, 1, "2", ino.getBytes());
        }
        assertThat(data.deleteInode("21")).isEqualTo(2); // lists the directory, then remembers it
        data.put("21", 0, "3", "again".getBytes());
        assertThat(data.deleteInodes(new Object[] {"20", "21", "20"})).isEqualTo(3);
        assertThat(data.get("20", 1, "2").get("found")).isEqualTo(false);
        assertThat(data.get("21", 0, "3").get("found")).isEqualTo(false);
        assertThat(data.get("22", 1, "2").get("found")).isEqualTo(true);
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.deleteInodes(new Object[0]));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> data.deleteInodes(new Object[] {"22", "../x"}));
        assertThat(data.get("22", 0, "1").get("found")).as("a bad batch deletes nothing").isEqualTo(true);
    }

    @Test
    void list_pagesThroughEveryReplicaInOrder() {
        for (int ino = 1; ino <= 3; ino++) {
            for (int idx = 0; idx < 3; idx++) {
                data.put(String.valueOf(ino), idx, "1", new byte[idx]);
            }
        }
        Object[] first = data.list(Map.of(), 4);
        assertThat(first).hasSize(4);
        ReplicaInfo last = ReplicaInfo.fromWire(first[3]);
        assertThat(last).usingRecursiveComparison().ignoringFields("modifiedMillis").isEqualTo(new ReplicaInfo(2, 0, 1, 0, 0));
        Object[] rest = data.list(Map.of("ino", "2", "index", 0, "version", "1"), 100);
        assertThat(rest).hasSize(5);
        assertThat(ReplicaInfo.fromWire(rest[4])).usingRecursiveComparison().ignoringFields("modifiedMillis")
                .isEqualTo(new ReplicaInfo(3, 2, 1, 2, 0));
    }

    /**
     * A replica takes its name only once all of its bytes are written (before its fsync on
     * filesystems where the fsync also keeps the name): a server killed in the middle of puts leaves
     * under a replica's name the whole replica or nothing, and every acknowledged one.
     */
    @Test
    void kill9_inTheMiddleOfPuts_leavesEveryNamedReplicaWhole() throws Exception {
        Path store = dir.resolve("mid");
        int blocks = 400;
        java.util.Set<Integer> acknowledged = java.util.concurrent.ConcurrentHashMap.newKeySet();
        int port;
        try (ServerProcess p = ServerProcess.start(DataServerMain.class, dir.resolve("m1.log"), "0",
                "--data-dir", store.toString())) {
            port = p.port();
            List<Thread> writers = new java.util.ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int first = t;
                writers.add(new Thread(() -> {
                    for (int i = first; i < blocks; i += 2) {
                        try {
                            client(p.port()).put("11", i, "1", replica(i));
                            acknowledged.add(i);
                        } catch (RuntimeException killed) {
                            return;
                        }
                    }
                }));
            }
            writers.forEach(Thread::start);
            long until = System.nanoTime() + 20_000_000_000L;
            while (acknowledged.size() < 20 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            p.kill9();
            for (Thread w : writers) {
                w.join(10_000);
            }
        }
        assertThat(acknowledged).hasSizeBetween(20, blocks - 1);
        try (ServerProcess p = ServerProcess.start(DataServerMain.class, dir.resolve("m2.log"), String.valueOf(port),
                "--data-dir", store.toString())) {
            DataService restarted = client(p.port());
            int found = 0;
            for (int i = 0; i < blocks; i++) {
                Map<String, Object> answer = restarted.get("11", i, "1");
                if (acknowledged.contains(i)) {
                    assertThat(answer.get("found")).as("acknowledged replica %d", i).isEqualTo(true);
                }
                if (Boolean.TRUE.equals(answer.get("found"))) {
                    assertThat((byte[]) answer.get("data")).as("replica %d", i).isEqualTo(replica(i));
                    found++;
                }
            }
            assertThat(found).isGreaterThanOrEqualTo(acknowledged.size());
        }
        try (Stream<Path> files = Files.walk(store)) {
            assertThat(files.map(Path::toString)).noneMatch(name -> name.endsWith(".tmp"));
        }
    }

    /** 1 MiB of bytes that differ from one replica to the next and within each 4 KiB page. */
    private static byte[] replica(int i) {
        byte[] b = new byte[1 << 20];
        for (int at = 0; at < b.length; at++) {
            b[at] = (byte) (i * 31 + at / 4096 + at);
        }
        return b;
    }

    @Test
    void kill9_thenRestart_keepsEveryAcknowledgedReplica() throws Exception {
        Path store = dir.resolve("proc");
        int port;
        try (ServerProcess p = ServerProcess.start(DataServerMain.class, dir.resolve("p1.log"), "0",
                "--data-dir", store.toString())) {
            port = p.port();
            for (int i = 0; i < 20; i++) {
                client(port).put("9", i, "1", ("replica " + i).getBytes());
            }
            p.kill9();
        }
        try (ServerProcess p = ServerProcess.start(DataServerMain.class, dir.resolve("p2.log"), String.valueOf(port),
                "--data-dir", store.toString())) {
            for (int i = 0; i < 20; i++) {
                assertThat((byte[]) client(p.port()).get("9", i, "1").get("data")).isEqualTo(("replica " + i).getBytes());
            }
        }
    }
}
