package org.quorumfs.common.rpc;

import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
import org.apache.xmlrpc.client.XmlRpcClientRequestImpl;
import org.apache.xmlrpc.common.TypeFactoryImpl;
import org.apache.xmlrpc.serializer.BaseXmlWriterFactory;
import org.apache.xmlrpc.serializer.XmlRpcWriter;
import org.apache.xmlrpc.serializer.XmlWriterFactory;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class Utf8WriterTest {

    @Test
    void writesWhatTheJdksEncoderWrites_evenWithSurrogatePairsSplitAcrossWrites() throws Exception {
        Random random = new Random(17);
        char[] alphabet = {'a', '<', '&', '\n', 'é', 'ß', '日', '\uffff', '\ud83d', '\ude00', '\udbff', '\udfff'};
        for (int round = 0; round < 2_000; round++) {
            StringBuilder s = new StringBuilder();
            for (int i = random.nextInt(1_500); i > 0; i--) {
                s.append(alphabet[random.nextInt(alphabet.length)]);
            }
            String text = s.toString();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (Utf8Writer w = new Utf8Writer(out)) {
                int at = 0;
                while (at < text.length()) { // in pieces of random length, through every write method
                    int len = Math.min(text.length() - at, random.nextInt(700));
                    switch (random.nextInt(3)) {
                        case 0 -> w.write(text, at, len);
                        case 1 -> w.write(text.toCharArray(), at, len);
                        default -> {
                            len = Math.min(len, 1);
                            if (len == 1) {
                                w.write(text.charAt(at));
                            }
                        }
                    }
                    at += len;
                }
            }
            assertThat(out.toByteArray()).as("round %d", round).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aCallOfAsciiIsSerializedAsTheLibrarysOwnWriterSerializesIt() throws Exception {
        XmlRpcClientConfigImpl config = new XmlRpcClientConfigImpl();
        Object[] params = {"plain", "a < b && c > d\n", 42, true,
                Map.of("name", "x&y", "list", List.of("e", 7).toArray()), new Object[] {"", -1}};
        XmlRpcClientRequestImpl request = new XmlRpcClientRequestImpl(config, "org.quorumfs.Meta.create", params);
        assertThat(new String(serialize(new BulkXmlWriterFactory(), config, request), StandardCharsets.UTF_8))
                .isEqualTo(new String(serialize(new BaseXmlWriterFactory(), config, request), StandardCharsets.UTF_8))
                .contains("a &lt; b &amp;&amp; c &gt; d");
    }

    /**
     * The library's writer made two references to surrogates of an emoji, which no parser accepts,
     * and wrote a carriage return as itself, which a parser reads as a line feed.
     */
    @Test
    void textBeyondAscii_goesOutAsUtf8_andReadsBackWhole_evenBeyondTheBasicPlane_andWithCarriageReturns() throws Exception {
        XmlRpcClientConfigImpl config = new XmlRpcClientConfigImpl();
        String name = "grüße-日本 😀 𝄞 \r\n";
        XmlRpcClientRequestImpl request = new XmlRpcClientRequestImpl(config, "org.quorumfs.Meta.lookup",
                new Object[] {"1", name});
        byte[] body = serialize(new BulkXmlWriterFactory(), config, request);
        assertThat(new String(body, StandardCharsets.UTF_8)).contains("<value>grüße-日本 😀 𝄞 &#13;\n</value>");
        StringBuilder text = new StringBuilder(); // and any XML parser reads it too
        javax.xml.parsers.SAXParserFactory.newInstance().newSAXParser().parse(new java.io.ByteArrayInputStream(body),
                new org.xml.sax.helpers.DefaultHandler() {
                    @Override
                    public void characters(char[] ch, int start, int length) {
                        text.append(ch, start, length);
                    }
                });
        assertThat(text.toString()).endsWith("1" + name);
    }

    private static byte[] serialize(XmlWriterFactory factory, XmlRpcClientConfigImpl config,
                                    XmlRpcClientRequestImpl request) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new XmlRpcWriter(config, factory.getXmlWriter(config, out), new TypeFactoryImpl(new XmlRpcClient()))
                .write(request);
        return out.toByteArray();
    }
}
