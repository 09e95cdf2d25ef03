package org.quorumfs.common.rpc;

import com.google.common.net.HostAndPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Only holders of the cluster key may call a server that has one; the proof covers time and body. */
class ClusterKeyTest {
    private static final ClusterKey KEY = ClusterKey.of(bytes(1));
    private static final ClusterKey OTHER = ClusterKey.of(bytes(2));

    private RpcServer server;

    private static byte[] bytes(int fill) {
        byte[] b = new byte[32];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    @BeforeEach
    void start() throws IOException {
        server = new RpcServer(InetAddress.getLoopbackAddress(), 0, Optional.of(KEY))
                .register(RpcServerTest.EchoService.class, new RpcServerTest.Echo()).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private RpcServerTest.EchoService client(Optional<ClusterKey> key) {
        return new RpcClient(HostAndPort.fromParts("127.0.0.1", server.port()), RpcTimeouts.DEFAULT, key)
                .proxy(RpcServerTest.EchoService.class);
    }

    private static void refused(Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(FsException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
    }

    @Test
    void aClientWithTheKey_isServed_plainCallsAndEncodedOnes() {
        RpcServerTest.EchoService echo = client(Optional.of(KEY));
        assertThat(echo.next("41")).isEqualTo("42");
        byte[] big = new byte[1 << 20];
        big[7] = 9;
        assertThat(echo.echo(big)).isEqualTo(big);
        RpcClient raw = new RpcClient(HostAndPort.fromParts("127.0.0.1", server.port()), RpcTimeouts.DEFAULT, Optional.of(KEY));
        assertThat(raw.send(EncodedCall.of(RpcServerTest.EchoService.class, "echo", (Object) big), byte[].class)).isEqualTo(big);
    }

    @Test
    void noKeyOrAnotherKey_isRefused_andTheServerKeepsServing() {
        refused(() -> client(Optional.empty()).next("1"));
        refused(() -> client(Optional.of(OTHER)).next("1"));
        assertThat(client(Optional.of(KEY)).next("1")).isEqualTo("2");
    }

    /** What a stock client sends: the same XML-RPC, the proof in standard Basic credentials. */
    private HttpResponse<String> post(String body, long timeMillis, String proofOverride) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String credentials = KEY.credentials(timeMillis, bytes);
        if (proofOverride != null) {
            credentials = credentials.substring(0, credentials.indexOf(':') + 1) + proofOverride;
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/RPC2"))
                .header("Content-Type", "text/xml")
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.US_ASCII)))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static final String NEXT = "<?xml version=\"1.0\"?><methodCall><methodName>"
            + RpcServerTest.EchoService.class.getName() + ".next</methodName><params><param><value>"
            + "<string>41</string></value></param></params></methodCall>";

    @Test
    void aReplayOutsideTheWindow_orAnAlteredBody_isRefused_aFreshOneServed() throws Exception {
        long now = System.currentTimeMillis();
        assertThat(post(NEXT, now, null).body()).contains("<value>42</value>").doesNotContain("fault");
        assertThat(post(NEXT, now - ClusterKey.WINDOW.toMillis() - 60_000, null).body())
                .contains("faultCode").contains(">" + ErrorCode.UNAUTHENTICATED.wire() + "<").contains("replay window");
        String altered = NEXT.replace("41", "99");
        assertThat(post(altered, now, KEY.proof(now, NEXT.getBytes(StandardCharsets.UTF_8))).body())
                .contains("wrong proof");
    }

    @Test
    void aStrangersRequest_isRefusedOnItsHeaders_withoutWaitingForItsBody() throws Exception {
        // Headers promising 8 MB under another key's proof, then a few bytes and silence. Were the
        // body awaited, the answer would come only at the connection's deadline (30 s), and the
        // server would meanwhile hold memory for 8 MB on a stranger's word.
        int length = 8 << 20;
        String credentials = OTHER.credentials(System.currentTimeMillis(), new byte[length]);
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                    + "Authorization: Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.US_ASCII))
                    + "\r\nContent-Length: " + length + "\r\n\r\n<?xml").getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).contains("faultCode").contains(">" + ErrorCode.UNAUTHENTICATED.wire() + "<")
                    .contains("wrong proof");
        }
        assertThat(client(Optional.of(KEY)).next("1")).isEqualTo("2");
    }

    @Test
    void withoutAKey_aServerBindsOnlyLoopback() throws Exception {
        assertThatThrownBy(() -> new RpcServer(InetAddress.getByName("0.0.0.0"), 0, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without a cluster key");
    }

    @Test
    void aKeyFile_isHexDigits_ofAtLeast32Bytes(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("k");
        Files.writeString(good, "ab".repeat(32) + "\n");
        assertThat(ClusterKey.read(good).proof(1, new byte[0])).hasSize(64);
        Path shortKey = dir.resolve("short");
        Files.writeString(shortKey, "ab".repeat(8));
        assertThatThrownBy(() -> ClusterKey.read(shortKey)).isInstanceOf(IllegalArgumentException.class);
        Path notHex = dir.resolve("bad");
        Files.writeString(notHex, "zz".repeat(32));
        assertThatThrownBy(() -> ClusterKey.read(notHex)).isInstanceOf(IOException.class);
    }
}
