package org.quorumfs.common.rpc;

import org.junit.jupiter.api.Test;
import org.quorumfs.common.protocol.DataService;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
    void parse_leavesAnyOtherLayoutToTheXmlParser() {
        String body = new String(EncodedCall.of(DataService.class, "put", "1", 2, "3", new byte[10]).body(),
                StandardCharsets.UTF_8);
        String[] others = {
            body.replace("<params>", "<params>\n"),                    // white space between elements
            body.replace("<string>1</string>", "<string>&#49;</string>"), // a character reference
            body.replace("<i4>2</i4>", "<int>2</int>"),                // another spelling of the type
            body.replace("</methodCall>", ""),                         // truncated
            body.replace("AAAA", "AA\nAA"),                            // base64 with a line break
            body + "<x/>",                                              // trailing markup
        };
        for (String other : others) {
            assertThat(EncodedCall.parse(other.getBytes(StandardCharsets.UTF_8))).as(other).isNull();
        }
        assertThat(EncodedCall.parse(new byte[0])).isNull();
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
