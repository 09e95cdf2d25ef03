package org.quorumfs.common.rpc;

import org.apache.xmlrpc.util.SAXParsers;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXNotRecognizedException;
import org.xml.sax.SAXNotSupportedException;
import org.xml.sax.XMLReader;
import org.xml.sax.helpers.XMLFilterImpl;

import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParser;
import javax.xml.parsers.SAXParserFactory;
import java.io.IOException;

/**
 * The XML-RPC library builds a new SAX parser for every request and every response; building one
 * profiled at a third of a small call's CPU on the meta-server. This factory, installed in the
 * library's hook, hands each thread its own parser, reset to its configured state before every
 * use. A parser is used by one call at a time on its thread, and the library's configuration (the
 * entity features it turns off) is the delegate's, unchanged.
 */
final class ReusedSaxParsers extends SAXParserFactory {
    static final String MAX_DEPTH_PROPERTY = "http://www.oracle.com/xml/jaxp/properties/maxElementDepth";
    static final int MAX_DEPTH = 64;
    private final SAXParserFactory delegate;
    private final ThreadLocal<SAXParser> parsers = new ThreadLocal<>();

    private ReusedSaxParsers(SAXParserFactory delegate) {
        this.delegate = delegate;
    }

    static synchronized void install() {
        if (!(SAXParsers.getSAXParserFactory() instanceof ReusedSaxParsers)) {
            SAXParsers.setSAXParserFactory(new ReusedSaxParsers(SAXParsers.getSAXParserFactory()));
        }
    }

    @Override
    public SAXParser newSAXParser() throws ParserConfigurationException, SAXException {
        SAXParser p = parsers.get();
        if (p == null) {
            p = delegate.newSAXParser();
            parsers.set(p);
        } else {
            p.reset();
        }
        // The library's handlers recurse per nested value: a body nested 50,000 deep overflowed
        // the stack. Ours nest a dozen deep; anything past this is refused as malformed.
        p.setProperty(MAX_DEPTH_PROPERTY, MAX_DEPTH);
        return new ForgettingParser(p);
    }

    /**
     * The thread's parser, reset as soon as a parse ends: a parser kept between calls held on to
     * its last input and handlers, and so to the last request's body and decoded block (64 server
     * threads kept 47 MiB of a data server's 64 MiB heap alive after a burst of block puts).
     */
    private static final class ForgettingParser extends SAXParser {
        private final SAXParser parser;
        private final XMLReader reader;

        ForgettingParser(SAXParser parser) throws SAXException {
            this.parser = parser;
            this.reader = new XMLFilterImpl(parser.getXMLReader()) {
                @Override
                public void parse(InputSource input) throws SAXException, IOException {
                    try {
                        // Straight to the parser: the filter would stand between it and the handlers.
                        XMLReader r = getParent();
                        r.setContentHandler(getContentHandler());
                        r.setErrorHandler(getErrorHandler());
                        r.setDTDHandler(getDTDHandler());
                        r.setEntityResolver(getEntityResolver());
                        r.parse(input);
                    } finally {
                        setContentHandler(null);
                        setErrorHandler(null);
                        setDTDHandler(null);
                        setEntityResolver(null);
                        parser.reset();
                    }
                }
            };
        }

        @Override
        @SuppressWarnings("deprecation")
        public org.xml.sax.Parser getParser() throws SAXException {
            return parser.getParser();
        }

        @Override
        public XMLReader getXMLReader() {
            return reader;
        }

        @Override
        public boolean isNamespaceAware() {
            return parser.isNamespaceAware();
        }

        @Override
        public boolean isValidating() {
            return parser.isValidating();
        }

        @Override
        public void setProperty(String name, Object value) throws SAXNotRecognizedException, SAXNotSupportedException {
            parser.setProperty(name, value);
        }

        @Override
        public Object getProperty(String name) throws SAXNotRecognizedException, SAXNotSupportedException {
            return parser.getProperty(name);
        }
    }

    @Override
    public void setFeature(String name, boolean value)
            throws ParserConfigurationException, SAXNotRecognizedException, SAXNotSupportedException {
        delegate.setFeature(name, value);
    }

    @Override
    public boolean getFeature(String name)
            throws ParserConfigurationException, SAXNotRecognizedException, SAXNotSupportedException {
        return delegate.getFeature(name);
    }

    @Override
    public void setNamespaceAware(boolean awareness) {
        delegate.setNamespaceAware(awareness);
    }

    @Override
    public boolean isNamespaceAware() {
        return delegate.isNamespaceAware();
    }

    @Override
    public void setValidating(boolean validating) {
        delegate.setValidating(validating);
    }

    @Override
    public boolean isValidating() {
        return delegate.isValidating();
    }
}
