package org.quorumfs.common.rpc;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class PlainResponseWriterTest {
    @Test
    void writesTheProtocolsAnswers_asTheReaderReadsThem() {
        byte[] block = new byte[(1 << 20) + 1];
        new Random(3).nextBytes(block);
        Map<String, Object> answer = Map.of("found", true, "data", block, "length", -42, "md5", "0a1b",
                "empty", "", "list", new Object[] {1, "x", new Object[0], Map.of()});
        byte[] body = PlainResponseWriter.write(answer);

        @SuppressWarnings("unchecked")
        Map<String, Object> read = (Map<String, Object>) PlainResponseReader.read(body).orElseThrow();
        assertThat(read).containsOnlyKeys(answer.keySet());
        assertThat((byte[]) read.get("data")).isEqualTo(block);
        assertThat(read).containsEntry("found", true).containsEntry("length", -42).containsEntry("md5", "0a1b")
                .containsEntry("empty", "");
        Object[] list = (Object[]) read.get("list");
        assertThat(list[0]).isEqualTo(1);
        assertThat(list[1]).isEqualTo("x");
        assertThat((Object[]) list[2]).isEmpty();
        assertThat((Map<?, ?>) list[3]).isEmpty();
    }

    @Test
    void writesStandardXmlRpc() {
        String body = new String(PlainResponseWriter.write(Map.of("found", false)), StandardCharsets.US_ASCII);
        assertThat(body).isEqualTo("<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodResponse><params><param>"
                + "<value><struct><member><name>found</name><value><boolean>0</boolean></value></member></struct>"
                + "</value></param></params></methodResponse>");
        assertThat(new String(PlainResponseWriter.write(new byte[] {1, 2, 3, 4}), StandardCharsets.US_ASCII))
                .contains("<value><base64>AQIDBA==</base64></value>");
    }

    @Test
    void leavesWhatNeedsEscapingOrOtherTypes_toTheLibrary() {
        assertThat(PlainResponseWriter.write("a & b")).isNull();
        assertThat(PlainResponseWriter.write("grüße")).isNull();
        assertThat(PlainResponseWriter.write("line\nbreak")).isNull();
        assertThat(PlainResponseWriter.write(Map.of("ok", 1.5))).isNull();
        assertThat(PlainResponseWriter.write(new Object[] {7L})).isNull();
        assertThat(PlainResponseWriter.write(Map.of("<name>", 1))).isNull();
        Object deep = 1;
        for (int i = 0; i < 40; i++) {
            deep = new Object[] {deep};
        }
        assertThat(PlainResponseWriter.write(deep)).isNull();
    }

    @Test
    void writesFaultsAsTheLibraryDoes_readBackAsFaults_andLeavesTheRestToTheLibrary() {
        byte[] fault = PlainResponseWriter.fault(2, "'f1': no such entry");
        assertThat(new String(fault, StandardCharsets.US_ASCII)).isEqualTo("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                + "<methodResponse><fault><value><struct><member><name>faultCode</name><value><i4>2</i4></value>"
                + "</member><member><name>faultString</name><value>'f1': no such entry</value></member></struct>"
                + "</value></fault></methodResponse>");
        assertThat(PlainResponseReader.read(fault)).contains(new PlainResponseReader.Fault(2, "'f1': no such entry"));
        assertThat(PlainResponseReader.read(PlainResponseWriter.fault(8, null)))
                .contains(new PlainResponseReader.Fault(8, ""));

        assertThat(PlainResponseWriter.fault(2, "a <b>")).isNull();
        assertThat(PlainResponseWriter.fault(2, "grüße")).isNull();
        // A fault with a cause (the library's extension), or of another shape, is the library's to read.
        String withCause = "<?xml version=\"1.0\"?><methodResponse><fault><value><struct><member><name>faultCode</name>"
                + "<value><i4>2</i4></value></member><member><name>faultString</name><value>x</value></member>"
                + "<member><name>faultCause</name><value><base64>AA==</base64></value></member></struct></value>"
                + "</fault></methodResponse>";
        assertThat(PlainResponseReader.read(withCause.getBytes(StandardCharsets.US_ASCII))).isEmpty();
        String stringCode = "<methodResponse><fault><value><struct><member><name>faultCode</name><value>2</value>"
                + "</member><member><name>faultString</name><value>x</value></member></struct></value></fault>"
                + "</methodResponse>";
        assertThat(PlainResponseReader.read(stringCode.getBytes(StandardCharsets.US_ASCII))).isEmpty();
    }
}
