package org.quorumfs.common.rpc;

import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.XmlRpcRequest;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientException;
import org.apache.xmlrpc.common.XmlRpcStreamRequestConfig;
import org.apache.xmlrpc.client.XmlRpcSun15HttpTransport;
import org.apache.xmlrpc.client.XmlRpcTransport;
import org.apache.xmlrpc.client.XmlRpcTransportFactoryImpl;
import org.xml.sax.SAXException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * The library's HTTP transport (the one that applies connect and read timeouts), which in addition
 * sends an {@link EncodedCall} as the bytes it already is instead of serializing the request
 * again, and reads a response in our servers' plain layout without the SAX parser.
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

        /** A response in our servers' plain layout is read without the SAX parser (PlainResponseReader). */
        @Override
        protected Object readResponse(XmlRpcStreamRequestConfig config, InputStream stream) throws XmlRpcException {
            byte[] body;
            // Closed here, as the library's parser closes it: only a closed response stream hands
            // its kept-alive connection back for the next call (else every call opens a new one).
            try (stream) {
                body = stream.readAllBytes();
            } catch (IOException e) {
                throw new XmlRpcClientException("Failed to read the response: " + e.getMessage(), e);
            }
            Optional<Object> plain = PlainResponseReader.read(body);
            return plain.isPresent() ? plain.get() : super.readResponse(config, new ByteArrayInputStream(body));
        }
    }
}
