package org.quorumfs.common.rpc;

import org.apache.xmlrpc.util.SAXParsers;
import org.junit.jupiter.api.Test;
import org.xml.sax.InputSource;
import org.xml.sax.XMLReader;
import org.xml.sax.helpers.DefaultHandler;

import java.io.ByteArrayInputStream;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ReusedSaxParsersTest {
    @Test
    void aThreadsParser_forgetsItsLastDocumentAndHandler_whenTheParseEnds() throws Exception {
        ReusedSaxParsers.install();
        byte[] body = ("<a>" + "x".repeat(1_000_000) + "</a>").getBytes(StandardCharsets.US_ASCII);
        DefaultHandler handler = new DefaultHandler();
        WeakReference<byte[]> bodyRef = new WeakReference<>(body);
        WeakReference<DefaultHandler> handlerRef = new WeakReference<>(handler);
        XMLReader reader = SAXParsers.newXMLReader();
        reader.setContentHandler(handler);
        reader.parse(new InputSource(new ByteArrayInputStream(body)));
        body = null;
        handler = null;
        // The parser stays with this thread for its next document; what it last read must not.
        for (int i = 0; i < 20 && (bodyRef.get() != null || handlerRef.get() != null); i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(bodyRef.get()).isNull();
        assertThat(handlerRef.get()).isNull();
        // And the next document parses as before.
        XMLReader again = SAXParsers.newXMLReader();
        again.setContentHandler(new DefaultHandler());
        again.parse(new InputSource(new ByteArrayInputStream("<b/>".getBytes(StandardCharsets.US_ASCII))));
    }
}
