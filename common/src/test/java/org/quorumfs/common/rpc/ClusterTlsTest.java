package org.quorumfs.common.rpc;

import com.google.common.net.HostAndPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RPCs in TLS with the cluster's own certificate: served, unreadable on the wire, closed to strangers. */
class ClusterTlsTest {
    private static final byte[] SECRET = new byte[32];
    @TempDir
    static Path stores;
    private static ClusterTls tls;
    private static ClusterTls otherCluster;

    private RpcServer server;

    /** A store made as scripts/tls-init makes it. */
    static ClusterTls store(Path file) throws Exception {
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "cluster", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=QuorumFS cluster",
                "-validity", "3650", "-storetype", "PKCS12", "-keystore", file.toString(),
                "-storepass", ClusterTls.DEFAULT_PASSWORD, "-keypass", ClusterTls.DEFAULT_PASSWORD)
                .redirectErrorStream(true).start();
        keytool.getInputStream().readAllBytes();
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).isZero();
        return ClusterTls.read(file, ClusterTls.DEFAULT_PASSWORD.toCharArray());
    }

    @BeforeEach
    void start() throws Exception {
        if (tls == null) {
            tls = store(stores.resolve("cluster.p12"));
            otherCluster = store(stores.resolve("other.p12"));
        }
        server = new RpcServer(InetAddress.getLoopbackAddress(), 0, Optional.of(ClusterKey.of(SECRET)), Optional.of(tls),
                ConnectionLimits.ofThisProcess())
                .register(RpcServerTest.EchoService.class, new RpcServerTest.Echo()).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private RpcServerTest.EchoService client(int port, Optional<ClusterTls> with) {
        return new RpcClient(HostAndPort.fromParts("127.0.0.1", port), RpcTimeouts.DEFAULT,
                Optional.of(ClusterKey.of(SECRET)), with).proxy(RpcServerTest.EchoService.class);
    }

    @Test
    void aClientOfTheCluster_isServed_andNothingReadableCrossesTheWire() throws Exception {
        byte[] marker = "file data that must not be seen on the wire ".repeat(200).getBytes(StandardCharsets.US_ASCII);
        try (Tap tap = new Tap(server.port())) {
            assertThat(client(tap.port(), Optional.of(tls)).echo(marker)).isEqualTo(marker);
            String wire = tap.seen();
            assertThat(wire.length()).isGreaterThan(marker.length);
            assertThat(wire).doesNotContain("must not be seen").doesNotContain("methodCall").doesNotContain("qfs-");
        }
    }

    @Test
    void theSameCallInPlainHttp_isReadableOnTheWire_soTheTapSeesWhatCrosses() throws Exception {
        try (RpcServer plain = new RpcServer(InetAddress.getLoopbackAddress(), 0, Optional.of(ClusterKey.of(SECRET)))
                .register(RpcServerTest.EchoService.class, new RpcServerTest.Echo()).start();
             Tap tap = new Tap(plain.port())) {
            byte[] marker = "seen in clear".getBytes(StandardCharsets.US_ASCII);
            assertThat(client(tap.port(), Optional.empty()).echo(marker)).isEqualTo(marker);
            assertThat(tap.seen()).contains("methodCall");
        }
    }

    @Test
    void anotherClustersCertificate_orPlainHttp_isRefused_andTheServerServesOn() {
        assertThatThrownBy(() -> client(server.port(), Optional.of(otherCluster)).echo(new byte[] {1}))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
        assertThatThrownBy(() -> client(server.port(), Optional.empty()).echo(new byte[] {1}))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
        assertThat(client(server.port(), Optional.of(tls)).echo(new byte[] {5})).containsExactly(5);
    }

    @Test
    void aStoreWithAWrongPassword_failsWithAClearMessage() {
        assertThatThrownBy(() -> ClusterTls.read(stores.resolve("cluster.p12"), "wrong".toCharArray()))
                .isInstanceOf(IOException.class).hasMessageContaining("cluster.p12");
    }

    /** A TCP relay to a server that keeps a copy of every byte the client sends. */
    private static final class Tap implements AutoCloseable {
        private final ServerSocket listen = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
        private final Thread acceptor;

        Tap(int target) throws IOException {
            acceptor = new Thread(() -> {
                try {
                    while (true) {
                        Socket client = listen.accept();
                        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                        pump(client.getInputStream(), upstream.getOutputStream(), true);
                        pump(upstream.getInputStream(), client.getOutputStream(), false);
                    }
                } catch (IOException closed) {
                    // the tap is closed
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void pump(InputStream in, OutputStream out, boolean record) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[8192];
                try (in; out) {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        if (record) {
                            synchronized (seen) {
                                seen.write(buf, 0, n);
                            }
                        }
                        out.write(buf, 0, n);
                        out.flush();
                    }
                } catch (IOException e) {
                    // one side closed
                }
            });
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return listen.getLocalPort();
        }

        String seen() {
            synchronized (seen) {
                return seen.toString(StandardCharsets.ISO_8859_1);
            }
        }

        @Override
        public void close() throws IOException {
            listen.close();
        }
    }
}
