package org.quorumfs.common.rpc;

import com.google.common.net.HostAndPort;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.XmlRpcRequest;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientException;
import org.apache.xmlrpc.client.XmlRpcHttpClientConfig;
import org.apache.xmlrpc.client.XmlRpcHttpTransport;
import org.apache.xmlrpc.client.XmlRpcHttpTransportException;
import org.apache.xmlrpc.client.XmlRpcTransport;
import org.apache.xmlrpc.client.XmlRpcTransportFactoryImpl;
import org.apache.xmlrpc.common.XmlRpcStreamRequestConfig;
import org.xml.sax.SAXException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Our HTTP transport for the library's client ({@link KeptConnections}: HTTP/1.1 with connections
 * kept alive, connect and reply timeouts, TLS with the cluster's certificate when it has one,
 * {@link ClusterTls}), which sends an {@link EncodedCall} as the bytes it already is instead of
 * serializing the request again, proves the cluster key when it has one ({@link ClusterKey}: the
 * body is serialized first, its proof goes in the Authorization header), and reads a response in
 * our servers' plain layout without the SAX parser (its base64 value decoded where the call says,
 * {@link EncodedCall#decodingInto}).
 */
final class EncodedCallTransportFactory extends XmlRpcTransportFactoryImpl {
    private final ClusterKey key;
    private final KeptConnections connections;

    EncodedCallTransportFactory(XmlRpcClient client, HostAndPort endpoint, ClusterKey key, ClusterTls tls) {
        super(client);
        this.key = key;
        this.connections = new KeptConnections(endpoint, tls);
    }

    @Override
    public XmlRpcTransport getTransport() {
        return new Transport(getClient(), key, connections);
    }

    /**
     * A server's fault, as the library's parser would throw it, without a stack trace: it says
     * what the server answered, not where we are, and every lookup of a name that does not exist
     * ends in one (stack traces, this one and the FsException made of it, were 4.7 % of the
     * client's CPU in a loop of such lookups).
     */
    static final class Fault extends XmlRpcException {
        private static final long serialVersionUID = 1L;

        Fault(int code, String message) {
            super(code, message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private static final class Transport extends XmlRpcHttpTransport {
        private final ClusterKey key;
        private final KeptConnections connections;
        private final List<String[]> headers = new ArrayList<>(6);
        private XmlRpcHttpClientConfig config;
        private byte[] body;
        private byte[] answerBody;
        private Base64Target target;

        Transport(XmlRpcClient client, ClusterKey key, KeptConnections connections) {
            super(client, USER_AGENT);
            this.key = key;
            this.connections = connections;
        }

        @Override
        public Object sendRequest(XmlRpcRequest request) throws XmlRpcException {
            config = (XmlRpcHttpClientConfig) request.getConfig();
            return super.sendRequest(request);
        }

        @Override
        protected void setRequestHeader(String header, String value) {
            headers.add(new String[] {header, value});
        }

        @Override
        protected ReqWriter newReqWriter(XmlRpcRequest request) throws XmlRpcException, IOException, SAXException {
            byte[] bytes;
            String authorization = null;
            if (request.getParameterCount() == 1 && request.getParameter(0) instanceof EncodedCall call) {
                bytes = call.body();
                target = call.target();
                if (key != null) {
                    authorization = call.authorization(key, System.currentTimeMillis());
                }
            } else {
                ByteArrayOutputStream out = new ByteArrayOutputStream(512);
                super.newReqWriter(request).write(out);
                bytes = out.toByteArray();
                if (key != null) {
                    authorization = key.authorization(System.currentTimeMillis(), bytes);
                }
            }
            if (authorization != null) {
                setRequestHeader("Authorization", authorization);
            }
            body = bytes;
            return out -> out.write(bytes);
        }

        /** Nothing to do: {@link #newReqWriter} holds the body, which goes out with the headers. */
        @Override
        protected void writeRequest(ReqWriter writer) {
        }

        /** The exchange itself: the request written above goes out, the whole answer comes back. */
        @Override
        protected InputStream getInputStream() throws XmlRpcException {
            KeptConnections.Answer answer;
            try {
                answer = connections.post(config.getServerURL().getPath(), headers, body,
                        config.getConnectionTimeout(), config.getReplyTimeout());
            } catch (IOException e) {
                throw new XmlRpcClientException("Failed to read server's response: " + e.getMessage(), e);
            }
            if (answer.status() < 200 || answer.status() > 299) {
                throw new XmlRpcHttpTransportException(answer.status(), answer.reason());
            }
            answerBody = answer.body();
            return new ByteArrayInputStream(answerBody);
        }

        @Override
        protected boolean isResponseGzipCompressed(XmlRpcStreamRequestConfig config) {
            return false; // never asked for
        }

        @Override
        protected void close() {
            // the connection went back to the pool, or was closed, with the answer
        }

        /** A response in our servers' plain layout is read without the SAX parser (PlainResponseReader). */
        @Override
        protected Object readResponse(XmlRpcStreamRequestConfig config, InputStream stream) throws XmlRpcException {
            byte[] answer = answerBody; // the stream's bytes, without the copy reading it would make
            answerBody = null;
            try {
                Optional<Object> plain = PlainResponseReader.read(answer, target);
                if (plain.isPresent() && plain.get() instanceof PlainResponseReader.Fault f) {
                    throw new Fault(f.code(), f.message());
                }
                return plain.isPresent() ? plain.get() : super.readResponse(config, new ByteArrayInputStream(answer));
            } finally {
                LargeArrays.give(answer); // what was read from it are copies: decoded bytes, strings
            }
        }
    }
}
