package org.quorumfs.common.rpc;

import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.XmlRpcRequest;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcSun15HttpTransport;
import org.apache.xmlrpc.client.XmlRpcTransport;
import org.apache.xmlrpc.client.XmlRpcTransportFactoryImpl;
import org.xml.sax.SAXException;

import java.io.IOException;

/**
 * The library's HTTP transport (the one that applies connect and read timeouts), which in addition
 * sends an {@link EncodedCall} as the bytes it already is instead of serializing the request
 * again. Responses are parsed by the library as always.
 */
final class EncodedCallTransportFactory extends XmlRpcTransportFactoryImpl {

    EncodedCallTransportFactory(XmlRpcClient client) {
        super(client);
    }

    @Override
    public XmlRpcTransport getTransport() {
        return new Transport(getClient());
    }

    private static final class Transport extends XmlRpcSun15HttpTransport {
        Transport(XmlRpcClient client) {
            super(client);
        }

        @Override
        protected ReqWriter newReqWriter(XmlRpcRequest request) throws XmlRpcException, IOException, SAXException {
            if (request.getParameterCount() == 1 && request.getParameter(0) instanceof EncodedCall call) {
                byte[] body = call.body();
                setContentLength(body.length);
                return out -> out.write(body);
            }
            return super.newReqWriter(request);
        }
    }
}
