package org.quorumfs.common.rpc;

import org.apache.ws.commons.util.NamespaceContextImpl;
import org.apache.xmlrpc.common.TypeFactoryImpl;
import org.apache.xmlrpc.common.XmlRpcController;
import org.apache.xmlrpc.common.XmlRpcStreamConfig;
import org.apache.xmlrpc.parser.TypeParser;
import org.apache.xmlrpc.serializer.TypeSerializer;
import org.xml.sax.SAXException;

/** The library's type factory with {@link Base64Codec} for {@code byte[]}. */
final class FastTypeFactory extends TypeFactoryImpl {

    FastTypeFactory(XmlRpcController controller) {
        super(controller);
    }

    @Override
    public TypeSerializer getSerializer(XmlRpcStreamConfig config, Object value) throws SAXException {
        if (value instanceof byte[]) {
            return new Base64Codec.Serializer();
        }
        return super.getSerializer(config, value);
    }

    @Override
    public TypeParser getParser(XmlRpcStreamConfig config, NamespaceContextImpl context, String uri, String localName) {
        if ((uri == null || uri.isEmpty()) && Base64Codec.TAG.equals(localName)) {
            return new Base64Codec.Parser();
        }
        return super.getParser(config, context, uri, localName);
    }
}
