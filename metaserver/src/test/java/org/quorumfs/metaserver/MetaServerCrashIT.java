package org.quorumfs.metaserver;

import com.google.common.net.HostAndPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quorumfs.common.protocol.Attributes;
import org.quorumfs.common.protocol.BlockCommit;
import org.quorumfs.common.protocol.BlockRecord;
import org.quorumfs.common.protocol.BlockStatus;
import org.quorumfs.common.protocol.Md5;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.Wire;
import org.quorumfs.common.rpc.RpcClient;
import org.quorumfs.common.rpc.RpcTimeouts;
import org.quorumfs.common.server.ServerRunner;
import org.quorumfs.common.testing.ServerProcess;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The meta-server as a real process: kill -9 and restart lose nothing that was acknowledged. */
class MetaServerCrashIT {
    @TempDir
    Path dir;

    private static MetaService client(int port) {
        return new RpcClient(HostAndPort.fromParts("127.0.0.1", port), RpcTimeouts.DEFAULT).proxy(MetaService.class);
    }

    @Test
    void kill9_thenRestart_keepsEveryAcknowledgedChange() throws Exception {
        String root = Wire.ofLong(MetaService.ROOT);
        int port;
        long fileIno;
        long version;
        try (ServerProcess first = ServerProcess.start(MetaServerMain.class, dir.resolve("first.log"),
                "0", "--data-dir", dir.resolve("meta").toString())) {
            port = first.port();
            MetaService meta = client(port);
            Attributes d = Attributes.fromWire(meta.mkdir(root, "dir", 0755, 0, 0));
            fileIno = Attributes.fromWire(meta.create(Wire.ofLong(d.ino()), "file", 0644, 0, 0)).ino();
            version = Wire.toLong(meta.allocateVersions(1), "v");
            meta.commitBlock(Wire.ofLong(fileIno), new BlockCommit(
                    new BlockRecord(0, version, 5, Md5.hex("hello".getBytes())), 0, List.of()).toWire());
            first.kill9();
        }
        try (ServerProcess second = ServerProcess.start(MetaServerMain.class, dir.resolve("second.log"),
                String.valueOf(port), "--data-dir", dir.resolve("meta").toString())) {
            MetaService meta = client(second.port());
            Attributes d = Attributes.fromWire(meta.lookup(root, "dir"));
            Attributes f = Attributes.fromWire(meta.lookup(Wire.ofLong(d.ino()), "file"));
            assertThat(f.ino()).isEqualTo(fileIno);
            assertThat(f.size()).isEqualTo(5);
            BlockStatus b = BlockStatus.fromWire(meta.blocks(Wire.ofLong(fileIno), 0, 1)[0]);
            assertThat(b.block().version()).isEqualTo(version);
            assertThat(b.block().md5()).isEqualTo(Md5.hex("hello".getBytes()));
            assertThat(Wire.toLong(meta.allocateVersions(1), "v")).isGreaterThan(version);
        }
    }

    @Test
    void portInUse_exitsWithItsOwnCode_andSaysSo() throws Exception {
        try (ServerProcess first = ServerProcess.start(MetaServerMain.class, dir.resolve("a.log"),
                "0", "--data-dir", dir.resolve("a").toString())) {
            Process second = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), MetaServerMain.class.getName(),
                    String.valueOf(first.port()), "--data-dir", dir.resolve("b").toString())
                    .redirectErrorStream(true).start();
            String out = new String(second.getInputStream().readAllBytes());
            assertThat(second.waitFor()).isEqualTo(ServerRunner.EXIT_PORT_IN_USE);
            assertThat(out).contains("port " + first.port() + " is already in use");
        }
    }
}
