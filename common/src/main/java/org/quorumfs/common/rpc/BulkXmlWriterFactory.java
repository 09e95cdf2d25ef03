package org.quorumfs.common.rpc;

import org.apache.ws.commons.serialize.XMLWriter;
import org.apache.ws.commons.serialize.XMLWriterImpl;
import org.apache.xmlrpc.serializer.BaseXmlWriterFactory;
import org.xml.sax.SAXException;

import java.io.IOException;

/**
 * An XML writer factory whose writer emits runs of characters that need no escaping in one call.
 * The library's writer emits text one character per call, which profiled at 80 % of the time of a
 * 1 MiB put (base64 text is nothing but such runs). The XML produced is identical.
 */
final class BulkXmlWriterFactory extends BaseXmlWriterFactory {

    @Override
    protected XMLWriter newXmlWriter() {
        return new BulkXmlWriter();
    }

    static final class BulkXmlWriter extends XMLWriterImpl {
        @Override
        public void characters(char[] ch, int start, int length) throws SAXException {
            // A zero-length call lets the base class close a pending start tag ('>').
            super.characters(ch, start, 0);
            int end = start + length;
            int run = start;
            try {
                for (int i = start; i < end; i++) {
                    if (!isPlain(ch[i])) {
                        if (i > run) {
                            getWriter().write(ch, run, i - run);
                        }
                        super.characters(ch, i, 1);
                        run = i + 1;
                    }
                }
                if (end > run) {
                    getWriter().write(ch, run, end - run);
                }
            } catch (IOException e) {
                throw new SAXException(e);
            }
        }

        /** Text known to need no escaping (base64), written as it is. */
        void plainText(String text) throws SAXException {
            super.characters(new char[0], 0, 0); // closes a pending start tag
            try {
                getWriter().write(text);
            } catch (IOException e) {
                throw new SAXException(e);
            }
        }

        /** Printable ASCII that XML text may hold as it is (the base class escapes the rest). */
        private static boolean isPlain(char c) {
            return c >= ' ' && c < 0x7f && c != '&' && c != '<' && c != '>';
        }
    }
}
