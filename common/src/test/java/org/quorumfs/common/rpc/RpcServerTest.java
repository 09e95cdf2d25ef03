package org.quorumfs.common.rpc;

import com.google.common.net.HostAndPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.Limits;
import org.quorumfs.common.protocol.Wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RpcServerTest {
    /** A service shaped like ours: wire types only. */
    public interface EchoService {
        byte[] echo(byte[] data);

        String next(String value);

        Map<String, Object> fail(int code);

        Map<String, Object> failSaying(int code, String message);

        int boom();
    }

    static final class Echo implements EchoService {
        @Override
        public byte[] echo(byte[] data) {
            return data;
        }

        @Override
        public String next(String value) {
            return Wire.ofLong(Wire.toLong(value, "value") + 1);
        }

        @Override
        public Map<String, Object> fail(int code) {
            throw new FsException(ErrorCode.fromWire(code), "failed as asked");
        }

        @Override
        public Map<String, Object> failSaying(int code, String message) {
            throw new FsException(ErrorCode.fromWire(code), message);
        }

        @Override
        public int boom() {
            throw new IllegalStateException("secret internals");
        }
    }

    private RpcServer server;
    private EchoService echo;

    @BeforeEach
    void start() throws IOException {
        server = new RpcServer(InetAddress.getLoopbackAddress(), 0).register(EchoService.class, new Echo()).start();
        echo = new RpcClient(HostAndPort.fromParts("127.0.0.1", server.port()), RpcTimeouts.DEFAULT)
                .proxy(EchoService.class);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void answersOnAKeptConnection_sayHowLongItMayBeReused_aFaultToo() throws Exception {
        String call = "<?xml version=\"1.0\"?><methodCall><methodName>" + EchoService.class.getName()
                + ".next</methodName><params><param><value><string>41</string></value></param></params></methodCall>";
        String fault = call.replace(".next<", ".fail<").replace("<string>41</string>", "<i4>2</i4>");
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.setSoTimeout(10_000);
            for (String body : new String[] {call, fault}) {
                socket.getOutputStream().write(("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                String head = readHead(socket);
                // The default deadline is 30 s: reuse stops at 5, as the JDK's client would anyway.
                assertThat(head).contains("Connection: Keep-Alive").contains("Keep-Alive: timeout=5");
                socket.getInputStream().readNBytes(contentLength(head));
            }
        }
        assertThat(new KeepAliveHeader(Duration.ofMillis(1500)).value()).isEqualTo("timeout=1");
    }

    private static String readHead(Socket socket) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = socket.getInputStream().read();
            if (c < 0) {
                throw new IOException("connection closed after " + head);
            }
            head.append((char) c);
        }
        return head.toString();
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                return Integer.parseInt(line.substring(15).trim());
            }
        }
        throw new AssertionError("no Content-Length in " + head);
    }

    @Test
    void bytes_roundTripExactly_includingEmptyAndOneMiB() {
        byte[] big = new byte[1 << 20];
        new Random(7).nextBytes(big);
        assertThat(echo.echo(big)).isEqualTo(big);
        assertThat(echo.echo(new byte[0])).isEmpty();
        assertThat(echo.echo(new byte[] {0, -1, 127})).containsExactly(0, -1, 127);
    }

    @Test
    void largeAnswersReadAtOnce_eachComeBackExact() throws Exception {
        // Large answers are read into arrays used again (LargeArrays): one given back too early
        // would hand a caller another call's bytes.
        int threads = 8;
        int calls = 12;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            java.util.List<java.util.concurrent.Future<Integer>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                done.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    for (int i = 0; i < calls; i++) {
                        byte[] block = new byte[1 << 20];
                        random.nextBytes(block);
                        assertThat(echo.echo(block)).isEqualTo(block);
                    }
                    return calls;
                }));
            }
            for (java.util.concurrent.Future<Integer> f : done) {
                assertThat(f.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(calls);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anAnswersBase64_isDecodedIntoTheCallersRange_whenTheCallSaysWhere() {
        byte[] data = new byte[700_000];
        new Random(3).nextBytes(data);
        byte[] block = new byte[data.length + 100];
        Base64Target into = new Base64Target(block, 40, data.length);
        RpcClient client = new RpcClient(HostAndPort.fromParts("127.0.0.1", server.port()), RpcTimeouts.DEFAULT);
        byte[] answered = client.send(EncodedCall.of(EchoService.class, "echo", (Object) data).decodingInto(into),
                byte[].class);
        assertThat(answered).isEmpty();
        assertThat(into.decoded()).isEqualTo(data.length);
        assertThat(java.util.Arrays.copyOfRange(block, 40, 40 + data.length)).isEqualTo(data);
        assertThat(java.util.Arrays.copyOfRange(block, 0, 40)).containsOnly(0);
        // A range too small for the value: the answer is read the general way and brings the bytes itself.
        Base64Target tooSmall = new Base64Target(new byte[10], 0, 10);
        assertThat(client.send(EncodedCall.of(EchoService.class, "echo", (Object) data).decodingInto(tooSmall),
                byte[].class)).isEqualTo(data);
        assertThat(tooSmall.decoded()).isEqualTo(-1);
    }

    @Test
    void longs_travelAsDecimalStrings_withoutLoss() {
        assertThat(echo.next(Wire.ofLong(Long.MAX_VALUE - 1))).isEqualTo(Wire.ofLong(Long.MAX_VALUE));
    }

    @Test
    void fsException_reachesClient_withItsCode() {
        assertThatThrownBy(() -> echo.fail(ErrorCode.NOT_EMPTY.wire()))
                .isInstanceOfSatisfying(FsException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.NOT_EMPTY);
                    assertThat(e.getMessage()).contains("failed as asked");
                });
    }

    @Test
    void faults_travelInThePlainLayout_whenTheirMessageAllows_andComeBackExactEitherWay() {
        // A lookup's "no such entry" needs no escaping: it is written and read without the library's
        // writer and parser; a message that needs escaping still goes through them.
        for (String message : new String[] {"'f17': no such entry", "a <name> & \"quotes\", grüße\n"}) {
            assertThatThrownBy(() -> echo.failSaying(ErrorCode.NOT_FOUND.wire(), message))
                    .isInstanceOfSatisfying(FsException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
                        assertThat(e.getMessage()).isEqualTo(message);
                    });
        }
        String call = "<?xml version=\"1.0\"?><methodCall><methodName>" + EchoService.class.getName()
                + ".fail</methodName><params><param><value><i4>2</i4></value></param></params></methodCall>";
        assertThat(post(call)).endsWith("<methodResponse><fault><value><struct><member><name>faultCode</name>"
                + "<value><i4>2</i4></value></member><member><name>faultString</name><value>failed as asked</value>"
                + "</member></struct></value></fault></methodResponse>");
    }

    @Test
    void faults_keepTheConnection_likeResults() {
        for (int i = 0; i < 50; i++) {
            assertThatThrownBy(() -> echo.fail(ErrorCode.NOT_FOUND.wire())).isInstanceOf(FsException.class);
            assertThat(echo.echo(new byte[] {(byte) i})).containsExactly(i);
        }
        // Faults once closed their connection: every failed lookup then cost a new one (and a TLS handshake).
        assertThat(server.servedConnections()).isLessThanOrEqualTo(2);
    }

    @Test
    void unexpectedException_isInternal_andDoesNotLeakDetails() {
        assertThatThrownBy(() -> echo.boom())
                .isInstanceOfSatisfying(FsException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
                    assertThat(e.getMessage()).doesNotContain("secret internals");
                });
    }

    @Test
    void wrongArgumentTypes_areInvalidArgument() {
        String body = "<?xml version=\"1.0\"?><methodCall><methodName>" + EchoService.class.getName()
                + ".next</methodName><params><param><value><boolean>1</boolean></value></param></params></methodCall>";
        assertThat(post(body)).contains("<name>faultCode</name><value><i4>" + ErrorCode.INVALID_ARGUMENT.wire());
    }

    @Test
    void base64_onTheWire_isPlainStandardXmlRpc() {
        byte[] data = "quorum <&> bytes".getBytes(StandardCharsets.UTF_8);
        String body = "<?xml version=\"1.0\"?><methodCall><methodName>" + EchoService.class.getName()
                + ".echo</methodName><params><param><value><base64>\n"
                + Base64.getMimeEncoder().encodeToString(data) + "\n</base64></value></param></params></methodCall>";
        String reply = post(body);
        assertThat(reply).contains("<value><base64>" + Base64.getEncoder().encodeToString(data) + "</base64></value>");
    }

    @Test
    void oversizedRequest_isRefused_withTooLarge() {
        byte[] huge = new byte[Limits.MAX_REQUEST_BYTES];
        assertThatThrownBy(() -> echo.echo(huge))
                .isInstanceOfSatisfying(FsException.class,
                        e -> assertThat(e.code()).isIn(ErrorCode.TOO_LARGE, ErrorCode.UNAVAILABLE));
        assertThat(echo.echo(new byte[] {1})).containsExactly(1); // the server lives on
    }

    @Test
    void silentServer_failsUnavailable_withinTheReplyTimeout() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            RpcTimeouts quick = new RpcTimeouts(Duration.ofMillis(500), Duration.ofMillis(700));
            EchoService stuck = new RpcClient(HostAndPort.fromParts("127.0.0.1", silent.getLocalPort()), quick)
                    .proxy(EchoService.class);
            long start = System.nanoTime();
            assertThatThrownBy(() -> stuck.echo(new byte[10]))
                    .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aServerRestartedOnItsPort_answersTheSameClientsNextCall() throws Exception {
        // The client keeps its connections to the first server; the first call after the restart
        // draws one the server closed and must go out again on a new one.
        int port = server.port();
        assertThat(echo.next("1")).isEqualTo("2");
        server.close();
        server = new RpcServer(InetAddress.getLoopbackAddress(), port).register(EchoService.class, new Echo()).start();
        assertThat(echo.next("2")).isEqualTo("3");
    }

    @Test
    void closedPort_failsUnavailable() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        EchoService gone = new RpcClient(HostAndPort.fromParts("127.0.0.1", port), RpcTimeouts.DEFAULT)
                .proxy(EchoService.class);
        assertThatThrownBy(() -> gone.next("1"))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    }

    static final AtomicBoolean CANARY_DESERIALIZED = new AtomicBoolean();

    static final class Canary implements Serializable {
        private static final long serialVersionUID = 1L;

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            CANARY_DESERIALIZED.set(true);
            in.defaultReadObject();
        }
    }

    @Test
    void hostileFaultCause_isNeverDeserialized() throws Exception {
        ByteArrayOutputStream serialized = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(serialized)) {
            out.writeObject(new Canary());
        }
        String fault = "<?xml version=\"1.0\"?><methodResponse><fault><value><struct>"
                + "<member><name>faultCode</name><value><i4>2</i4></value></member>"
                + "<member><name>faultString</name><value>evil</value></member>"
                + "<member><name>faultCause</name><value><base64>"
                + Base64.getEncoder().encodeToString(serialized.toByteArray())
                + "</base64></value></member></struct></value></fault></methodResponse>";
        byte[] body = fault.getBytes(StandardCharsets.UTF_8);
        try (ServerSocket hostile = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread answer = new Thread(() -> {
                try (Socket s = hostile.accept()) {
                    byte[] buf = new byte[65536];
                    s.getInputStream().read(buf);
                    s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: "
                            + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().write(body);
                } catch (IOException ignored) {
                    // the assertion below tells
                }
            });
            answer.start();
            EchoService victim = new RpcClient(HostAndPort.fromParts("127.0.0.1", hostile.getLocalPort()),
                    RpcTimeouts.DEFAULT).proxy(EchoService.class);
            assertThatThrownBy(() -> victim.next("1")).isInstanceOf(FsException.class);
            answer.join(5000);
        }
        assertThat(CANARY_DESERIALIZED).isFalse();
    }

    private String post(String xml) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/RPC2"))
                            .header("Content-Type", "text/xml")
                            .POST(HttpRequest.BodyPublishers.ofString(xml)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.body();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void wire_rejectsMalformedNumbers_namingTheField() {
        assertThatThrownBy(() -> Wire.toLong("12x", "inode")).hasMessageContaining("inode");
        assertThatThrownBy(() -> Wire.positiveLong("-3", "version")).hasMessageContaining("version");
        assertThat(Arrays.asList(Wire.toLong("42", "x"), Wire.toLong(7, "x"))).containsExactly(42L, 7L);
    }
}
