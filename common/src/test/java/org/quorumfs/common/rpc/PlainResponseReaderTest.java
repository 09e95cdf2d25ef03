package org.quorumfs.common.rpc;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class PlainResponseReaderTest {
    private static Optional<Object> read(String body) {
        return PlainResponseReader.read(body.getBytes(StandardCharsets.UTF_8));
    }

    private static String response(String value) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodResponse><params><param>" + value
                + "</param></params></methodResponse>";
    }

    @Test
    void readsTheTypesOfTheProtocol_asTheLibraryWouldBuildThem() {
        byte[] data = {1, 2, 3, (byte) 250};
        String b64 = Base64.getEncoder().encodeToString(data);
        Object v = read(response("<value><struct><member><name>found</name><value><boolean>1</boolean></value></member>"
                + "<member><name>data</name><value><base64>" + b64 + "</base64></value></member>"
                + "<member><name>n</name><value><i4>-7</i4></value></member>"
                + "<member><name>s</name><value><string>grüße</string></value></member>"
                + "<member><name>a</name><value><array><data><value><int>1</int></value><value>x</value>"
                + "<value></value></data></array></value></member></struct></value>")).orElseThrow();
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        assertThat(m.get("found")).isEqualTo(true);
        assertThat((byte[]) m.get("data")).isEqualTo(data);
        assertThat(m.get("n")).isEqualTo(-7);
        assertThat(m.get("s")).isEqualTo("grüße");
        assertThat((Object[]) m.get("a")).containsExactly(1, "x", "");
        assertThat((Object[]) read(response("<value><array><data/></array></value>")).orElseThrow()).isEmpty();
    }

    @Test
    void leavesEverythingElseToTheXmlParser() {
        assertThat(read(response("<value><string>a &amp; b</string></value>"))).isEmpty();
        assertThat(read(response("<value>\n<string>x</string></value>"))).isEmpty();
        assertThat(read(response("<value><double>1.5</double></value>"))).isEmpty();
        assertThat(read(response("<value><base64>AA\nAA</base64></value>"))).isEmpty();
        assertThat(read(response("<value><i4>x</i4></value>"))).isEmpty();
        assertThat(read("<?xml version=\"1.0\"?><methodResponse><fault><value><struct></struct></value></fault>"
                + "</methodResponse>")).isEmpty();
        assertThat(read(response("<value><string>cut"))).isEmpty();
        assertThat(read("")).isEmpty();
    }
}
