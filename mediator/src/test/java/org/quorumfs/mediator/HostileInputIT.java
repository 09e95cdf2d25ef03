package org.quorumfs.mediator;

import com.google.common.hash.Hashing;
import com.google.common.net.HostAndPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quorumfs.common.protocol.DataService;
import org.quorumfs.common.protocol.MetaService;
import org.quorumfs.common.protocol.Wire;
import org.quorumfs.common.rpc.ClusterKey;
import org.quorumfs.common.rpc.RpcClient;
import org.quorumfs.common.rpc.RpcTimeouts;
import org.quorumfs.common.testing.ServerProcess;
import org.quorumfs.dataserver.DataServerMain;
import org.quorumfs.metaserver.MetaServerMain;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each server, a real process with a cluster key, under hostile input: requests without the key,
 * and requests with it that are malformed, mutated, of the wrong types, with negative and huge
 * numbers, entity tricks and deep nesting, bad HTTP, and connections that send a byte at a time.
 * Throughout, a well-behaved client is answered within its timeouts; afterwards every stored file
 * (replicas, the meta-server's database) is byte-for-byte what it was.
 */
class HostileInputIT {
    private static final long DEADLINE_MILLIS = 1500;
    /** Methods whose every well-formed call changes state by design (a session, a lease, a counter). */
    private static final Set<String> STATEFUL_BY_DESIGN = Set.of("openSession", "lease", "setState", "allocateVersions");

    private static final String ROOT = Wire.ofLong(MetaService.ROOT);

    @TempDir
    Path dir;
    private ClusterKey key;
    private final List<ServerProcess> servers = new ArrayList<>();
    private ServerProcess metaProcess;
    private MetaService meta;
    private final List<DataService> data = new ArrayList<>();
    private long ino;
    private byte[] block;
    private final Random random = new Random(20261127);
    /** Hostile calls with the key answered INVALID_ARGUMENT: they got past the proof to the checks. */
    private int invalidArguments;

    @BeforeEach
    void start() throws Exception {
        byte[] secret = new byte[32];
        new Random(1).nextBytes(secret);
        Path keyFile = dir.resolve("cluster.key");
        Files.writeString(keyFile, HexFormat.of().formatHex(secret));
        key = ClusterKey.read(keyFile);
        List<String> jvm = List.of("-Dquorumfs.rpc.deadlineMillis=" + DEADLINE_MILLIS);
        metaProcess = ServerProcess.start(MetaServerMain.class, dir.resolve("meta.log"), jvm,
                "0", "--data-dir", dir.resolve("meta").toString(), "--key-file", keyFile.toString());
        servers.add(metaProcess);
        meta = client(metaProcess).proxy(MetaService.class);
        for (int i = 0; i < 2; i++) {
            ServerProcess p = ServerProcess.start(DataServerMain.class, dir.resolve("data" + i + ".log"), jvm,
                    "0", "--data-dir", dir.resolve("data" + i).toString(), "--key-file", keyFile.toString());
            servers.add(p);
            data.add(client(p).proxy(DataService.class));
        }
        meta.mkdir(ROOT, "dir", 0755, 0, 0);
        ino = Wire.toLong(meta.create(ROOT, "keep", 0644, 0, 0).get("ino"), "ino");
        meta.setxattr(Wire.ofLong(ino), "user.color", "blue".getBytes(StandardCharsets.UTF_8), 0);
        block = new byte[200_000];
        random.nextBytes(block);
        for (DataService d : data) {
            assertThat(d.put(Wire.ofLong(ino), 0, "5", block)).isTrue();
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (ServerProcess p : servers) {
            p.close();
        }
    }

    private RpcClient client(ServerProcess p) {
        return new RpcClient(HostAndPort.fromParts("127.0.0.1", p.port()),
                new RpcTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5)), Optional.of(key));
    }

    @Test
    void everyServer_survivesHostileInput_servesAWellBehavedClient_andKeepsItsDataByteForByte() throws Exception {
        Map<String, String> before = storedFiles();
        assertThat(before).isNotEmpty();
        ExecutorService slow = Executors.newFixedThreadPool(12);
        try {
            List<Future<Boolean>> drips = new ArrayList<>();
            for (ServerProcess p : servers) {
                for (int i = 0; i < 4; i++) {
                    drips.add(slow.submit(() -> dripUntilCut(p.port())));
                }
            }
            for (int round = 0; round < 3; round++) {
                attackMeta(metaProcess.port());
                wellBehavedClientIsServed();
                for (int i = 0; i < data.size(); i++) {
                    attackData(servers.get(i + 1).port());
                    wellBehavedClientIsServed();
                }
            }
            for (Future<Boolean> drip : drips) {
                assertThat(drip.get()).as("a connection sending a byte every 200 ms was cut").isTrue();
            }
        } finally {
            slow.shutdownNow();
        }
        for (ServerProcess p : servers) {
            assertThat(p.alive()).isTrue();
        }
        wellBehavedClientIsServed();
        assertThat(invalidArguments).as("hostile calls refused by argument checks").isGreaterThan(500);
        assertThat(storedFiles()).isEqualTo(before);
        for (int i = 0; i < servers.size(); i++) {
            String log = Files.readString(dir.resolve(i == 0 ? "meta.log" : "data" + (i - 1) + ".log"));
            assertThat(log).doesNotContain("OutOfMemoryError").doesNotContain("StackOverflowError");
        }
    }

    private void wellBehavedClientIsServed() {
        long start = System.nanoTime();
        assertThat(meta.lookup(ROOT, "keep").get("ino")).isEqualTo(Wire.ofLong(ino));
        assertThat(meta.getxattr(Wire.ofLong(ino), "user.color")).isEqualTo("blue".getBytes(StandardCharsets.UTF_8));
        assertThat(meta.readdir(ROOT, "", 100)).hasSize(2);
        for (DataService d : data) {
            assertThat((byte[]) d.get(Wire.ofLong(ino), 0, "5").get("data")).isEqualTo(block);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    // ---- the attacks ----

    private void attackMeta(int port) throws IOException {
        attack(port, MetaService.class);
    }

    private void attackData(int port) throws IOException {
        attack(port, DataService.class);
    }

    private void attack(int port, Class<?> service) throws IOException {
        List<String> valid = new ArrayList<>();
        for (Method m : service.getMethods()) {
            // Without the key, every method, destructive ones with real targets included: all refused.
            String real = call(service.getName() + "." + m.getName(), realArguments(m));
            assertRefused(send(port, http(real, null)));
            long now = System.currentTimeMillis();
            assertRefused(send(port, http(real, "qfs-" + now + ":" + "0".repeat(64))));
            String proof = signature(real, now);
            assertRefused(send(port, http(real, "qfs-" + now + "-" + "0".repeat(64) + proof.substring(proof.indexOf(':')))));
            // The length's proof holds (another body of the same length), the body's does not.
            byte[] other = new byte[real.length()];
            assertRefused(send(port, http(real, key.credentials(now, other))));
            assertRefused(send(port, http(real, signature(real, System.currentTimeMillis() - 3_600_000))));
            if (STATEFUL_BY_DESIGN.contains(m.getName())) {
                continue;
            }
            // With the key: right types, hostile values (ids and names that name nothing real).
            for (int i = 0; i < 6; i++) {
                String hostile = call(service.getName() + "." + m.getName(), hostileArguments(m));
                valid.add(hostile);
                answered(send(port, signed(hostile)));
            }
            // With the key: wrong types and wrong counts.
            for (String wrong : wrongTypes(m)) {
                answered(send(port, signed(call(service.getName() + "." + m.getName(), wrong))));
            }
        }
        // With the key: random mutations of those calls, XML tricks, bad HTTP.
        for (int i = 0; i < 300; i++) {
            String body = mutate(valid.get(random.nextInt(valid.size())));
            send(port, signed(body));
        }
        for (String trick : xmlTricks(service)) {
            answered(send(port, signed(trick)));
        }
        for (byte[] raw : badHttp()) {
            send(port, raw);
        }
    }

    private static void assertRefused(String answer) {
        assertThat(answer).as("refused without the key").contains("<name>faultCode</name><value><i4>22</i4>");
    }

    /**
     * A hostile call with the key is answered: a fault naming the caller's mistake, or a result
     * where the values are harmless (a limit clamped, a method without arguments); never an
     * internal error, which would mean the input reached somewhere it should not.
     */
    private void answered(String answer) {
        assertThat(answer).startsWith("HTTP/1.1 200").doesNotContain("<name>faultCode</name><value><i4>1</i4>");
        if (answer.contains("<name>faultCode</name><value><i4>8</i4>")) {
            invalidArguments++;
        }
    }

    private static String realArguments(Method m) {
        List<String> args = new ArrayList<>();
        for (Class<?> t : m.getParameterTypes()) {
            args.add(t == int.class ? "<value><i4>0</i4></value>"
                    : t == byte[].class ? "<value><base64>AAAA</base64></value>"
                    : t == Map.class ? "<value><struct></struct></value>"
                    : "<value><string>" + ROOT + "</string></value>");
        }
        return String.join("", args);
    }

    private static final String[] HOSTILE_IDS = {"-1", "0", "99999999999999999999999", "1e9", "", " 7", "0x10",
            "-9223372036854775808", "abc", "../../etc/passwd", "x".repeat(5000), "\u0000", "127.0.0.1:1"};
    private static final int[] HOSTILE_INTS = {-1, Integer.MIN_VALUE, Integer.MAX_VALUE, 1 << 30, -4096};

    private String hostileArguments(Method m) {
        StringBuilder args = new StringBuilder();
        for (Class<?> t : m.getParameterTypes()) {
            if (t == int.class) {
                args.append("<value><i4>").append(HOSTILE_INTS[random.nextInt(HOSTILE_INTS.length)]).append("</i4></value>");
            } else if (t == byte[].class) {
                byte[] b = new byte[random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(70_000)];
                args.append("<value><base64>").append(Base64.getEncoder().encodeToString(b)).append("</base64></value>");
            } else if (t == Map.class) {
                args.append("<value><struct><member><name>").append(escape(id())).append("</name><value><string>")
                        .append(escape(id())).append("</string></value></member><member><name>size</name><value><i4>")
                        .append(HOSTILE_INTS[random.nextInt(HOSTILE_INTS.length)]).append("</i4></value></member></struct></value>");
            } else {
                args.append("<value><string>").append(escape(id())).append("</string></value>");
            }
        }
        return args.toString();
    }

    private String id() {
        return HOSTILE_IDS[random.nextInt(HOSTILE_IDS.length)];
    }

    private static List<String> wrongTypes(Method m) {
        String[] wrong = {"<value><boolean>1</boolean></value>", "<value><double>1e308</double></value>",
                "<value><array><data><value><i4>1</i4></value></data></array></value>",
                "<value><dateTime.iso8601>20261127T00:00:00</dateTime.iso8601></value>", "<value><i4>99999999999999</i4></value>",
                "<value><base64>!!!notbase64</base64></value>", "<value><struct><member><name>a</name></member></struct></value>"};
        List<String> calls = new ArrayList<>();
        int n = m.getParameterCount();
        for (String w : wrong) {
            calls.add(w.repeat(Math.max(n, 1)));
        }
        calls.add(""); // too few
        calls.add("<value><string>1</string></value>".repeat(n + 3)); // too many
        return calls;
    }

    private String mutate(String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        switch (random.nextInt(4)) {
            case 0 -> {
                for (int i = 0; i < 1 + random.nextInt(8); i++) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
            }
            case 1 -> b = Arrays.copyOf(b, random.nextInt(b.length));
            case 2 -> {
                int at = random.nextInt(b.length);
                byte[] longer = new byte[b.length * 2 - at];
                System.arraycopy(b, 0, longer, 0, b.length);
                System.arraycopy(b, at, longer, b.length, b.length - at);
                b = longer;
            }
            default -> {
                int from = random.nextInt(b.length);
                int to = from + random.nextInt(b.length - from);
                byte[] cut = new byte[b.length - (to - from)];
                System.arraycopy(b, 0, cut, 0, from);
                System.arraycopy(b, to, cut, from, b.length - to);
                b = cut;
            }
        }
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static List<String> xmlTricks(Class<?> service) {
        String method = service.getName() + "." + service.getMethods()[0].getName();
        String external = "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<methodCall><methodName>" + method + "</methodName><params><param><value><string>&x;</string>"
                + "</value></param></params></methodCall>";
        StringBuilder laughs = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY a \"aaaaaaaaaa\">");
        for (int i = 1; i < 10; i++) {
            laughs.append("<!ENTITY a").append(i).append(" \"").append(("&a" + (i == 1 ? "" : i - 1) + ";").repeat(10)).append("\">");
        }
        laughs.append("]><methodCall><methodName>").append(method).append("</methodName><params><param><value><string>&a9;")
                .append("</string></value></param></params></methodCall>");
        String deep = "<?xml version=\"1.0\"?><methodCall><methodName>" + method + "</methodName><params><param>"
                + "<value><array><data>".repeat(50_000) + "</data></array></value>".repeat(50_000) + "</param></params></methodCall>";
        String manyParams = "<?xml version=\"1.0\"?><methodCall><methodName>" + method + "</methodName><params>"
                + "<param><value><string>1</string></value></param>".repeat(100_000) + "</params></methodCall>";
        return List.of(external, laughs.toString(), deep, manyParams, "not xml at all", "",
                "<?xml version=\"1.0\"?><methodCall><methodName>java.lang.Runtime.exec</methodName><params/></methodCall>",
                "<?xml version=\"1.0\" encoding=\"UTF-7\"?><methodCall/>");
    }

    private List<byte[]> badHttp() {
        List<String> heads = List.of(
                "POST /RPC2 HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                "POST /RPC2 HTTP/1.1\r\nContent-Length: abc\r\n\r\n<x/>",
                "POST /RPC2 HTTP/1.1\r\nContent-Length: 1000000000000\r\n\r\n<x/>",
                "POST /RPC2 HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n<x/>",
                "POST /RPC2 HTTP/1.1\r\nX-Long: " + "y".repeat(5000) + "\r\n\r\n",
                "GET / HTTP/1.1\r\n\r\n",
                "POST\r\n\r\n",
                "\r\n\r\n\r\n",
                "POST /RPC2 HTTP/1.1\r\nAuthorization: Basic " + "A".repeat(1500) + "\r\nContent-Length: 4\r\n\r\n<x/>",
                "POST /RPC2 HTTP/1.1\r\nAuthorization: Basic !!!!\r\nContent-Length: 4\r\n\r\n<x/>",
                "POST /RPC2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n");
        List<byte[]> raw = new ArrayList<>();
        for (String h : heads) {
            raw.add(h.getBytes(StandardCharsets.ISO_8859_1));
        }
        byte[] garbage = new byte[100_000];
        random.nextBytes(garbage);
        raw.add(garbage);
        return raw;
    }

    // ---- the wire ----

    private static String call(String method, String paramValues) {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\"?><methodCall><methodName>").append(method)
                .append("</methodName><params>");
        int i = 0;
        while (i < paramValues.length()) {
            int end = nextValueEnd(paramValues, i);
            b.append("<param>").append(paramValues, i, end).append("</param>");
            i = end;
        }
        return b.append("</params></methodCall>").toString();
    }

    /** The end of the top-level {@code <value>...</value>} that starts at {@code from}. */
    private static int nextValueEnd(String s, int from) {
        int depth = 0;
        int i = from;
        while (i < s.length()) {
            if (s.startsWith("<value>", i)) {
                depth++;
                i += 7;
            } else if (s.startsWith("</value>", i)) {
                depth--;
                i += 8;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        return s.length();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private String signature(String body, long time) {
        return key.credentials(time, body.getBytes(StandardCharsets.ISO_8859_1));
    }

    private byte[] signed(String body) {
        return http(body, signature(body, System.currentTimeMillis()));
    }

    private static byte[] http(String body, String credentials) {
        byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
        String auth = credentials == null ? ""
                : "Authorization: Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.US_ASCII)) + "\r\n";
        byte[] head = ("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n" + auth + "Content-Length: " + b.length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = Arrays.copyOf(head, head.length + b.length);
        System.arraycopy(b, 0, all, head.length, b.length);
        return all;
    }

    /** Sends raw bytes on a new connection; the answer, or "" when the server closed it first. */
    private static String send(int port, byte[] request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(15_000);
            try {
                OutputStream out = s.getOutputStream();
                out.write(request);
                out.flush();
                s.shutdownOutput();
            } catch (SocketException closed) {
                return "";
            }
            try {
                return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            } catch (SocketException reset) {
                return "";
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no answer and no close within 15 s", e);
            }
        }
    }

    /** Sends a request's head a byte every 200 ms; true when the server cut it before it was done. */
    private static boolean dripUntilCut(int port) throws IOException, InterruptedException {
        byte[] head = ("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 10\r\nX-Pad: "
                + "p".repeat(200) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            s.setSoTimeout(1);
            for (byte b : head) {
                try {
                    out.write(b);
                    out.flush();
                } catch (SocketException cut) {
                    return true;
                }
                try {
                    if (in.read() < 0) {
                        return true;
                    }
                } catch (SocketTimeoutException stillOpen) {
                    // nothing from the server yet
                } catch (SocketException reset) {
                    return true;
                }
                Thread.sleep(200);
            }
            return false;
        }
    }

    /** Every stored file's SHA-256 (SQLite's shared-memory index excepted: it is not data). */
    private Map<String, String> storedFiles() throws IOException {
        Map<String, String> hashes = new TreeMap<>();
        for (String d : List.of("meta", "data0", "data1")) {
            try (Stream<Path> files = Files.walk(dir.resolve(d))) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    if (!f.toString().endsWith("-shm")) {
                        hashes.put(dir.relativize(f).toString(), Hashing.sha256().hashBytes(Files.readAllBytes(f)).toString());
                    }
                }
            }
        }
        return hashes;
    }
}
