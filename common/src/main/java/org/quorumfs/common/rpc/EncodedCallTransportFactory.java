package org.quorumfs.common.rpc;

import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.XmlRpcRequest;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientException;
import org.apache.xmlrpc.common.XmlRpcStreamRequestConfig;
import org.apache.xmlrpc.client.XmlRpcSun15HttpTransport;
import org.apache.xmlrpc.client.XmlRpcTransport;
import org.apache.xmlrpc.client.XmlRpcTransportFactoryImpl;
import org.quorumfs.common.protocol.Limits;
import org.xml.sax.SAXException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import javax.net.ssl.HttpsURLConnection;
import java.util.Optional;

/**
 * The library's HTTP transport (the one that applies connect and read timeouts), which in addition
 * speaks TLS with the cluster's certificate when it has one ({@link ClusterTls}), sends an {@link EncodedCall} as the bytes it already is instead of serializing the request
 * again, proves the cluster key when it has one ({@link ClusterKey}: the body is serialized
 * first, its proof goes in the Authorization header), and reads a response in our servers' plain
 * layout without the SAX parser.
 */
final class EncodedCallTransportFactory extends XmlRpcTransportFactoryImpl {
    private final ClusterKey key;
    private final ClusterTls tls;

    EncodedCallTransportFactory(XmlRpcClient client, ClusterKey key, ClusterTls tls) {
        super(client);
        this.key = key;
        this.tls = tls;
    }

    @Override
    public XmlRpcTransport getTransport() {
        return new Transport(getClient(), key, tls);
    }

    private static final class Transport extends XmlRpcSun15HttpTransport {
        /** A block's base64 and room for the markup around it. */
        private static final long MAX_SIZED_RESPONSE = Limits.MAX_REQUEST_BYTES;
        private final ClusterKey key;
        private final ClusterTls tls;

        Transport(XmlRpcClient client, ClusterKey key, ClusterTls tls) {
            super(client);
            this.key = key;
            this.tls = tls;
        }

        /**
         * Over TLS, a connection trusts only the cluster's certificate. The socket factory is one
         * object per process, so kept-alive connections are found again (the JDK keys its cache
         * by it).
         */
        @Override
        protected URLConnection newURLConnection(URL url) throws IOException {
            URLConnection connection = super.newURLConnection(url);
            if (tls != null && connection instanceof HttpsURLConnection https) {
                https.setSSLSocketFactory(tls.clientSockets());
                https.setHostnameVerifier(ClusterTls.ANY_NAME);
            }
            return connection;
        }

        @Override
        protected ReqWriter newReqWriter(XmlRpcRequest request) throws XmlRpcException, IOException, SAXException {
            byte[] body;
            String authorization = null;
            if (request.getParameterCount() == 1 && request.getParameter(0) instanceof EncodedCall call) {
                body = call.body();
                if (key != null) {
                    authorization = call.authorization(key, System.currentTimeMillis());
                }
            } else if (key != null) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                super.newReqWriter(request).write(out);
                body = out.toByteArray();
                authorization = key.authorization(System.currentTimeMillis(), body);
            } else {
                return super.newReqWriter(request);
            }
            if (authorization != null) {
                setRequestHeader("Authorization", authorization);
            }
            setContentLength(body.length);
            return out -> out.write(body);
        }

        /** A response in our servers' plain layout is read without the SAX parser (PlainResponseReader). */
        @Override
        protected Object readResponse(XmlRpcStreamRequestConfig config, InputStream stream) throws XmlRpcException {
            byte[] body;
            // Closed here, as the library's parser closes it: only a closed response stream hands
            // its kept-alive connection back for the next call (else every call opens a new one).
            try (stream) {
                body = readBody(stream);
            } catch (IOException e) {
                throw new XmlRpcClientException("Failed to read the response: " + e.getMessage(), e);
            }
            Optional<Object> plain = PlainResponseReader.read(body);
            return plain.isPresent() ? plain.get() : super.readResponse(config, new ByteArrayInputStream(body));
        }

        /**
         * A body of a stated length up to the largest a server sends is read into one array of that
         * size; readAllBytes gathered a block's 1.4 MB in 8 KiB pieces and copied them together.
         */
        private byte[] readBody(InputStream stream) throws IOException {
            URLConnection connection = getURLConnection();
            long length = connection.getContentLengthLong();
            if (length < 0 || length > MAX_SIZED_RESPONSE || connection.getContentEncoding() != null) {
                return stream.readAllBytes();
            }
            byte[] body = new byte[(int) length];
            if (stream.readNBytes(body, 0, body.length) != body.length) {
                throw new IOException("the response ended before its stated " + length + " bytes");
            }
            return body;
        }
    }
}
