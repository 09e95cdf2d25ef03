package org.quorumfs.common.rpc;

import org.apache.xmlrpc.parser.TypeParserImpl;
import org.apache.xmlrpc.serializer.TypeSerializerImpl;
import org.xml.sax.Attributes;
import org.xml.sax.ContentHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

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
                byte[] ascii = Base64.getEncoder().encode(data);
                char[] text = new char[ascii.length];
                for (int i = 0; i < ascii.length; i++) {
                    text[i] = (char) ascii[i];
                }
                handler.characters(text, 0, text.length);
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
            for (int i = 0; i < length; i++) {
                char c = chars[start + i];
                if (c > 0x7f) {
                    throw new SAXParseException("Non-ASCII character in base64", getDocumentLocator());
                }
                ascii[size++] = (byte) c;
            }
        }

        @Override
        public void endElement(String uri, String localName, String qName) throws SAXException {
            if (--level != 0) {
                throw new SAXParseException("Unexpected end tag in base64: " + localName, getDocumentLocator());
            }
            try {
                // The MIME decoder skips line breaks, which other XML-RPC writers put in base64.
                setResult(Base64.getMimeDecoder().decode(Arrays.copyOf(ascii, size)));
            } catch (IllegalArgumentException e) {
                throw new SAXParseException("Invalid base64: " + e.getMessage(), getDocumentLocator());
            }
            ascii = new byte[0];
            size = 0;
        }
    }
}
