package org.quorumfs.common.rpc;

import org.apache.xmlrpc.parser.TypeParserImpl;
import org.apache.xmlrpc.serializer.TypeSerializerImpl;
import org.xml.sax.Attributes;
import org.xml.sax.ContentHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * XML-RPC {@code <base64>} values through {@link java.util.Base64}: one encode and one text event
 * per value instead of the library's 1 KiB chunks, and a decoder that collects the text and
 * decodes it once. The wire form is standard XML-RPC base64.
 */
final class Base64Codec {
    static final String TAG = "base64";

    private Base64Codec() {
    }

    static final class Serializer extends TypeSerializerImpl {
        @Override
        public void write(ContentHandler handler, Object value) throws SAXException {
            byte[] data = (byte[]) value;
            handler.startElement("", VALUE_TAG, VALUE_TAG, ZERO_ATTRIBUTES);
            handler.startElement("", TAG, TAG, ZERO_ATTRIBUTES);
            if (data.length > 0) {
                // Latin-1 bytes become a String by a plain copy; base64 needs no escaping.
                String text = new String(Base64.getEncoder().encode(data), StandardCharsets.ISO_8859_1);
                if (handler instanceof BulkXmlWriterFactory.BulkXmlWriter bulk) {
                    bulk.plainText(text);
                } else {
                    handler.characters(text.toCharArray(), 0, text.length());
                }
            }
            handler.endElement("", TAG, TAG);
            handler.endElement("", VALUE_TAG, VALUE_TAG);
        }
    }

    static final class Parser extends TypeParserImpl {
        private int level;
        private byte[] ascii = new byte[0];
        private int size;

        @Override
        public void startElement(String uri, String localName, String qName, Attributes attrs) throws SAXException {
            if (level++ != 0) {
                throw new SAXParseException("Unexpected start tag in base64: " + localName, getDocumentLocator());
            }
        }

        @Override
        public void characters(char[] chars, int start, int length) throws SAXException {
            if (level == 0) {
                if (!isEmpty(chars, start, length)) {
                    throw new SAXParseException("Unexpected characters outside base64", getDocumentLocator());
                }
                return;
            }
            if (size + length > ascii.length) {
                ascii = Arrays.copyOf(ascii, Math.max(size + length, ascii.length * 2));
            }
            // The JDK's compressing String constructor and Latin-1 encoder copy in bulk where a loop
            // per character profiled at a third of a block read. A character outside Latin-1 becomes
            // '?', and the decoder refuses that as it refuses any other character outside base64.
            byte[] latin1 = new String(chars, start, length).getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(latin1, 0, ascii, size, length);
            size += length;
        }

        @Override
        public void endElement(String uri, String localName, String qName) throws SAXException {
            if (--level != 0) {
                throw new SAXParseException("Unexpected end tag in base64: " + localName, getDocumentLocator());
            }
            setResult(decode(ascii, size));
            ascii = new byte[0];
            size = 0;
        }

        /**
         * The basic decoder (several times faster) for base64 without line breaks, as ours is; the
         * MIME decoder, which skips line breaks, for what other XML-RPC writers send.
         */
        private byte[] decode(byte[] text, int length) throws SAXParseException {
            ByteBuffer in = ByteBuffer.wrap(text, 0, length);
            try {
                return PlainXml.exactArray(Base64.getDecoder().decode(in));
            } catch (IllegalArgumentException plainFailed) {
                try {
                    return PlainXml.exactArray(Base64.getMimeDecoder().decode(in.rewind()));
                } catch (IllegalArgumentException e) {
                    throw new SAXParseException("Invalid base64: " + e.getMessage(), getDocumentLocator());
                }
            }
        }
    }
}
