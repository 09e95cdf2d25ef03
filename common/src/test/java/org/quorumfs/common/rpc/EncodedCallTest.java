package org.quorumfs.common.rpc;

import org.junit.jupiter.api.Test;
import com.google.common.net.HostAndPort;
import org.quorumfs.common.protocol.DataService;
import org.quorumfs.common.protocol.FsException;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EncodedCallTest {

    @Test
    void parse_readsBackWhatOfWrote() {
        byte[] block = new byte[100_000];
        new Random(3).nextBytes(block);
        EncodedCall put = EncodedCall.of(DataService.class, "put", "12", 7, "99", block);
        EncodedCall.Parsed p = EncodedCall.parse(put.body());
        assertThat(p).isNotNull();
        assertThat(p.methodName()).isEqualTo(DataService.class.getName() + ".put");
        assertThat(p.params()).containsExactly("12", 7, "99", block);
    }

    @Test
    void aReleasedBody_isNotSentAgain_andServesTheNextCallOfItsLength_rewrittenWhole() {
        byte[] first = new byte[LargeArrays.LARGE + 777]; // a length no other test's bodies have
        byte[] second = new byte[first.length];
        new Random(1).nextBytes(first);
        new Random(2).nextBytes(second);
        EncodedCall put = EncodedCall.of(DataService.class, "put", "12", 7, "99", first);
        EncodedCall sharing = put.decodingInto(new Base64Target(new byte[1], 0, 1));
        byte[] body = put.body();
        put.release();
        sharing.release(); // the same body: given back once, not twice
        assertThatThrownBy(put::body).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(sharing::body).isInstanceOf(IllegalStateException.class);

        EncodedCall next = EncodedCall.of(DataService.class, "put", "12", 7, "98", second);
        EncodedCall another = EncodedCall.of(DataService.class, "put", "12", 7, "97", second);
        assertThat(next.body()).isSameAs(body);
        assertThat(another.body()).isNotSameAs(body);
        assertThat(EncodedCall.parse(next.body()).params()).containsExactly("12", 7, "98", second);
    }

    @Test
    void of_writesTheCallAsPlainXmlRpc_base64OfEveryLengthPaddedAndEscapedText() {
        for (int n : new int[] {0, 1, 2, 3, 4, 5, 8123, 8124, 8125, 1 << 20}) {
            byte[] data = new byte[n];
            new Random(n).nextBytes(data);
            String expected = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodCall><methodName>"
                    + DataService.class.getName() + ".put</methodName><params>"
                    + "<param><value><string>a&lt;b&gt;&amp;c grüße</string></value></param>"
                    + "<param><value><i4>-7</i4></value></param>"
                    + "<param><value><string>99</string></value></param>"
                    + "<param><value><base64>" + Base64.getEncoder().encodeToString(data) + "</base64></value></param>"
                    + "</params></methodCall>";
            byte[] body = EncodedCall.of(DataService.class, "put", "a<b>&c grüße", -7, "99", data).body();
            assertThat(new String(body, StandardCharsets.UTF_8)).as("%d bytes", n).isEqualTo(expected);
            assertThat(body).hasSize(expected.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    @Test
    void parse_leavesAnyOtherLayoutToTheXmlParser() {
        String body = new String(EncodedCall.of(DataService.class, "put", "1", 2, "3", new byte[10]).body(),
                StandardCharsets.UTF_8);
        String[] others = {
            body.replace("<params>", "<params>\n"),                    // white space between elements
            body.replace("<string>1</string>", "<string>&#49;</string>"), // a character reference
            body.replace("<i4>2</i4>", "<i8>2</i8>"),                  // a type the protocol does not use
            body.replace("</methodCall>", ""),                         // truncated
            body.replace("AAAA", "AA\nAA"),                            // base64 with a line break
            body + "<x/>",                                              // trailing markup
            body.replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\""),  // text not in UTF-8
            body.replace("<string>1</string>", "<string>1\r\n</string>"), // a line end XML folds
        };
        for (String other : others) {
            assertThat(EncodedCall.parse(other.getBytes(StandardCharsets.UTF_8))).as(other).isNull();
        }
        assertThat(EncodedCall.parse(new byte[0])).isNull();
    }

    @Test
    void parse_readsEveryCallOurClientWrites_asTheLibrarysParserWould() throws Exception {
        Map<String, Object> after = new HashMap<>(Map.of("ino", "12", "index", 3, "version", "", "flag", true));
        after.put("nested", new Object[] {1, "two", new Object[0], Map.of("k", "v")});
        assertParsedAs(s -> s.list(after, 50), "list", after, 50);
        assertParsedAs(DataService::ping, "ping");
        assertParsedAs(s -> s.deleteInodes(new Object[] {"7", "8"}), "deleteInodes", (Object) new Object[] {"7", "8"});
        assertParsedAs(s -> s.check("a <b> & c", -1, "grüße"), null); // escaped text: the XML parser's
    }

    @Test
    void parse_leavesAHostileNestingToTheXmlParser() {
        String deep = "<value><array><data>".repeat(10_000) + "</data></array></value>".repeat(10_000);
        String body = "<?xml version=\"1.0\"?><methodCall><methodName>m</methodName><params><param>" + deep
                + "</param></params></methodCall>";
        assertThat(EncodedCall.parse(body.getBytes(StandardCharsets.UTF_8))).isNull();
    }

    /**
     * Makes {@code call} through a real {@link RpcClient} to a socket that only records the body,
     * and checks what parse reads from it: {@code method} and {@code params}, or null (method null).
     */
    private static void assertParsedAs(java.util.function.Consumer<DataService> call, String method, Object... params)
            throws Exception {
        try (ServerSocket listen = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            var body = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (Socket s = listen.accept()) {
                    var in = new java.io.DataInputStream(s.getInputStream());
                    int length = -1;
                    for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
                        if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring(15).trim());
                        }
                    }
                    byte[] b = new byte[length];
                    in.readFully(b);
                    return b;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            DataService client = new RpcClient(HostAndPort.fromParts("127.0.0.1", listen.getLocalPort()),
                    new RpcTimeouts(java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(2)), Optional.empty())
                    .proxy(DataService.class);
            assertThatThrownBy(() -> call.accept(client)).isInstanceOf(FsException.class); // no answer comes
            EncodedCall.Parsed parsed = EncodedCall.parse(body.get(5, java.util.concurrent.TimeUnit.SECONDS));
            if (method == null) {
                assertThat(parsed).isNull();
                return;
            }
            assertThat(parsed).isNotNull();
            assertThat(parsed.methodName()).isEqualTo(DataService.class.getName() + "." + method);
            assertThat(parsed.params()).usingRecursiveComparison().isEqualTo(params);
        }
    }

    private static String readLine(java.io.DataInputStream in) throws java.io.IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new java.io.EOFException();
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Test
    void of_refusesAMethodTheServiceDoesNotHave() {
        assertThatThrownBy(() -> EncodedCall.of(DataService.class, "put", "1"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void authorization_isMadeOnce_forTheThreadsThatSendAPutTogether() throws Exception {
        byte[] block = new byte[1 << 20];
        new Random(5).nextBytes(block);
        ClusterKey key = ClusterKey.of(new byte[32]);
        for (int round = 0; round < 5; round++) {
            EncodedCall put = EncodedCall.of(DataService.class, "put", "12", 7, "99", block);
            int senders = 6;
            CyclicBarrier together = new CyclicBarrier(senders);
            Set<String> headers = ConcurrentHashMap.newKeySet();
            List<Thread> threads = new ArrayList<>();
            long now = System.currentTimeMillis();
            for (int i = 0; i < senders; i++) {
                long at = now + i; // each sender's clock a little later: a proof of its own would differ
                Thread t = new Thread(() -> {
                    try {
                        together.await();
                        headers.add(put.authorization(key, at));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(headers).as("round " + round).hasSize(1);
        }
    }
}
