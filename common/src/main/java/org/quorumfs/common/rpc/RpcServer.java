package org.quorumfs.common.rpc;

import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.XmlRpcRequest;
import org.apache.xmlrpc.XmlRpcRequestConfig;
import org.apache.xmlrpc.common.ServerStreamConnection;
import org.apache.xmlrpc.common.XmlRpcInvocationException;
import org.apache.xmlrpc.common.XmlRpcStreamRequestConfig;
import org.apache.xmlrpc.server.PropertyHandlerMapping;
import org.apache.xmlrpc.server.XmlRpcHttpServer;
import org.apache.xmlrpc.server.XmlRpcServerConfigImpl;
import org.apache.xmlrpc.server.XmlRpcStreamServer;
import org.apache.xmlrpc.util.ThreadPool;
import org.apache.xmlrpc.webserver.Connection;
import org.apache.xmlrpc.webserver.RequestData;
import org.apache.xmlrpc.webserver.WebServer;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.Limits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xml.sax.SAXException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * An embeddable XML-RPC server for one or more service interfaces of
 * {@code org.quorumfs.common.protocol}. HTTP keep-alive is on (the library's default is off: a new
 * TCP connection per call), requests are capped at {@link Limits#MAX_REQUEST_BYTES}, extensions and
 * serialized exceptions are off, and an {@link FsException} from an implementation reaches the
 * client as its fault code; anything else is logged here and sent as {@code INTERNAL}.
 */
public final class RpcServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RpcServer.class);
    private final QfsWebServer webServer;
    private final ConnectionLimits limits;
    private final PropertyHandlerMapping mapping = new PropertyHandlerMapping();
    private final Map<Class<?>, Object> handlers = new HashMap<>();
    private boolean started;

    /**
     * A server for {@code bind}:{@code port} (port 0 picks a free port, see {@link #port()}) with
     * this process's cluster key, TLS and connection limits ({@link ClusterKey#ofThisProcess()},
     * {@link ClusterTls#ofThisProcess()}, {@link ConnectionLimits#ofThisProcess()}).
     */
    public RpcServer(InetAddress bind, int port) {
        this(bind, port, ClusterKey.ofThisProcess(), ClusterTls.ofThisProcess(), ConnectionLimits.ofThisProcess());
    }

    /** A server that requires proof of {@code key}, when given, in plain HTTP with the process's limits. */
    public RpcServer(InetAddress bind, int port, Optional<ClusterKey> key) {
        this(bind, port, key, Optional.empty(), ConnectionLimits.ofThisProcess());
    }

    /**
     * A server that refuses every request without proof of {@code key}, when given, and speaks
     * TLS when {@code tls} is given. Without a key it binds only a loopback address: anyone who
     * can reach its port could call anything.
     */
    public RpcServer(InetAddress bind, int port, Optional<ClusterKey> key, Optional<ClusterTls> tls,
                     ConnectionLimits limits) {
        if (key.isEmpty() && !bind.isLoopbackAddress()) {
            throw new IllegalArgumentException("refusing to bind " + bind.getHostAddress()
                    + " without a cluster key: anyone who reaches the port could call anything (give a key file)");
        }
        SerialFilter.install();
        ReusedSaxParsers.install();
        this.limits = limits;
        webServer = new QfsWebServer(port, bind, tls.orElse(null), new ConnectionGuard(limits, "rpc-" + port));
        QfsStreamServer streams = (QfsStreamServer) webServer.getXmlRpcServer();
        streams.key = key.orElse(null);
        streams.memory = RequestMemory.ofThisProcess();
        // Waiting for memory happens while the request is being read, which must end within the deadline.
        streams.memoryWaitMillis = limits.deadline().toMillis() / 2;
        streams.largestBody = limits.requestBytes();
        streams.keepAlive = new KeepAliveHeader(limits.deadline());
        mapping.setVoidMethodEnabled(false);
        mapping.setRequestProcessorFactoryFactory(clazz -> request -> handlers.get(clazz));
    }

    /** Serves {@code impl}'s methods of {@code service} under the service's name. */
    public synchronized <T> RpcServer register(Class<T> service, T impl) {
        if (started) {
            throw new IllegalStateException("register before start");
        }
        handlers.put(service, impl);
        QfsStreamServer streams = (QfsStreamServer) webServer.getXmlRpcServer();
        for (java.lang.reflect.Method m : service.getMethods()) {
            if (m.isAnnotationPresent(org.quorumfs.common.protocol.SmallAnswer.class)) {
                streams.smallAnswers.add(service.getName() + "." + m.getName());
            }
        }
        try {
            mapping.addHandler(service.getName(), service);
        } catch (XmlRpcException e) {
            throw new IllegalArgumentException("cannot serve " + service, e);
        }
        return this;
    }

    /** Binds and starts accepting; fails with an IOException (e.g. BindException) if the port is taken. */
    public synchronized RpcServer start() throws IOException {
        XmlRpcStreamServer server = webServer.getXmlRpcServer();
        XmlRpcServerConfigImpl config = new XmlRpcServerConfigImpl();
        config.setEnabledForExtensions(false);
        config.setEnabledForExceptions(false);
        config.setKeepAliveEnabled(true);
        config.setContentLengthOptional(false);
        server.setConfig(config);
        server.setHandlerMapping(mapping);
        server.setTypeFactory(new FastTypeFactory(server));
        server.setXMLWriterFactory(new BulkXmlWriterFactory());
        server.setMaxThreads(limits.total());
        webServer.start();
        started = true;
        return this;
    }

    /** The bound port. */
    public int port() {
        return webServer.getPort();
    }

    /** Client connections open now (tests). */
    int liveConnections() {
        return webServer.guard.liveConnections();
    }

    /** Connections served since the start (tests). */
    long servedConnections() {
        return webServer.guard.servedConnections();
    }

    /** Connections cut so far for outlasting the deadline in {@code phase} (tests). */
    long cuts(ConnectionGuard.Phase phase) {
        return webServer.guard.cuts(phase);
    }

    @Override
    public synchronized void close() {
        if (started) {
            webServer.stopNow();
            started = false;
        }
        webServer.guard.close();
    }

    private static final class QfsWebServer extends WebServer {
        private final CountDownLatch listenerDone = new CountDownLatch(1);
        private final ClusterTls tls;
        private final ConnectionGuard guard;

        QfsWebServer(int port, InetAddress bind, ClusterTls tls, ConnectionGuard guard) {
            super(port, bind);
            this.tls = tls;
            this.guard = guard;
        }

        @Override
        protected ThreadPool.Task newTask(WebServer webServer, XmlRpcStreamServer server, Socket socket)
                throws IOException {
            ConnectionGuard.Guarded guarded = guard.guard(socket);
            Connection connection = new Connection(webServer, server, guarded);
            KeepAliveHeader.enable(connection);
            return new ThreadPool.InterruptableTask() {
                @Override
                public void run() throws Throwable {
                    guard.serve(guarded, connection::run);
                }

                @Override
                public void shutdown() throws Throwable {
                    connection.shutdown();
                }
            };
        }

        /**
         * The library's shutdown leaves the listening socket open until its accept loop next wakes
         * (up to 4 s), accepting and serving connections meanwhile; a stopped server must not.
         */
        void stopNow() {
            shutdown();
            try {
                if (serverSocket != null) {
                    serverSocket.close();
                }
                // A socket closed while another thread is blocked in accept() is really closed only
                // when that thread wakes: wait for it, so the port is free when close() returns.
                if (!listenerDone.await(5, TimeUnit.SECONDS)) {
                    log.warn("listener thread did not stop within 5 s");
                }
            } catch (IOException e) {
                log.debug("closing the listening socket", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void run() {
            try {
                super.run();
            } finally {
                listenerDone.countDown();
            }
        }

        @Override
        protected XmlRpcStreamServer newXmlRpcStreamServer() {
            return new QfsStreamServer();
        }

        @Override
        protected ServerSocket createServerSocket(int port, int backlog, InetAddress addr) throws IOException {
            // With TLS the handshake happens on the connection's own thread, at its first read,
            // under the connection's deadline: a client that stalls it holds no one else up.
            ServerSocket socket = tls != null ? tls.serverSockets().createServerSocket() : new ServerSocket();
            // A restarted server must get its port back while old connections sit in TIME_WAIT.
            socket.setReuseAddress(true);
            try {
                socket.bind(new InetSocketAddress(addr, port), backlog);
            } catch (java.net.BindException e) {
                socket.close();
                // Not a BindException: the library would retry it ten times, a second apart.
                throw new PortInUseException(port, e);
            }
            return socket;
        }

        /** Kinds of failed TLS handshakes already logged: each once, not once per connection. */
        private final Set<String> handshakeFailures = ConcurrentHashMap.newKeySet();

        @Override
        public void log(Throwable error) {
            if (error instanceof javax.net.ssl.SSLException && handshakeFailures.size() < 64
                    && handshakeFailures.add(String.valueOf(error.getMessage()))) {
                log.warn("a TLS handshake failed: {} (a client without the cluster's TLS store? logged once per kind)",
                        error.getMessage());
            }
            log.debug("connection error", error);
        }

        @Override
        public void log(String message) {
            log.debug(message);
        }
    }

    /**
     * The library's package-private ConnectionServer (how responses reach the connection), plus
     * the request cap and the error translation.
     */
    private static final class QfsStreamServer extends XmlRpcHttpServer {
        /** Set once, right after construction (the library builds this from its own constructor). */
        private volatile ClusterKey key;
        private volatile RequestMemory memory;
        private volatile long memoryWaitMillis;
        private volatile long largestBody;
        private volatile KeepAliveHeader keepAlive;
        /** Methods (service.method) declared {@link org.quorumfs.common.protocol.SmallAnswer}: no answer allowance. */
        private final Set<String> smallAnswers = ConcurrentHashMap.newKeySet();
        /** A bound on what is remembered of refusals: many sources must not grow the heap. */
        private static final int MAX_LOGGED = 4096;
        /** Sources and reasons of refusals already logged: each once, not once per request. */
        private final Set<String> refusalsLogged = ConcurrentHashMap.newKeySet();

        /** What the request this thread serves reserved of the heap ({@link RequestMemory}), until it is answered. */
        private final ThreadLocal<Integer> reserved = new ThreadLocal<>();

        @Override
        public void execute(XmlRpcStreamRequestConfig config, ServerStreamConnection connection) throws XmlRpcException {
            try {
                super.execute(config, connection);
            } finally {
                Integer kib = reserved.get();
                if (kib != null) {
                    reserved.remove();
                    memory.release(kib);
                }
            }
        }

        /**
         * A body in the plain layout ({@link EncodedCall#parse}: every call from a QuorumFS client)
         * is read without the SAX parser; any other body is parsed by the library as always.
         */
        @Override
        protected XmlRpcRequest getRequest(XmlRpcStreamRequestConfig config, InputStream stream) throws XmlRpcException {
            RequestData data = (RequestData) config;
            long declared = data.getContentLength();
            // A stranger is refused here, before the server holds memory or a read for its body.
            authenticate(data, k -> k.headRefusal(data.getBasicUserName(), declared, System.currentTimeMillis()));
            long waitFrom = System.nanoTime();
            try {
                reserved.set(memory.reserveBody(declared, largestBody, memoryWaitMillis));
            } catch (FsException e) {
                data.setKeepAlive(false); // its body stays unread: not to be taken for the next request
                throw e;
            }
            byte[] body;
            try {
                body = declared >= 0 ? readExactly(stream, (int) declared) : stream.readAllBytes();
            } catch (IOException e) {
                throw new XmlRpcException("Failed to read the request: " + e.getMessage(), e);
            }
            ConnectionGuard.requestRead();
            authenticate(data, k -> k.bodyRefusal(data.getBasicUserName(), data.getBasicPassword(), body));
            EncodedCall.Parsed call = EncodedCall.parse(body);
            XmlRpcRequest request = call == null ? super.getRequest(config, new ByteArrayInputStream(body)) : encoded(config, call);
            if (!smallAnswers.contains(request.getMethodName())) {
                // Both waits together stay within the one the deadline allows.
                long left = Math.max(0, memoryWaitMillis - (System.nanoTime() - waitFrom) / 1_000_000);
                reserved.set(reserved.get() + memory.reserveAnswer(reserved.get(), left));
            }
            return request;
        }

        private static XmlRpcRequest encoded(XmlRpcStreamRequestConfig config, EncodedCall.Parsed call) {
            return new XmlRpcRequest() {
                @Override
                public XmlRpcRequestConfig getConfig() {
                    return config;
                }

                @Override
                public String getMethodName() {
                    return call.methodName();
                }

                @Override
                public int getParameterCount() {
                    return call.params().length;
                }

                @Override
                public Object getParameter(int index) {
                    return call.params()[index];
                }
            };
        }

        /** The body of the stated length in one array (readNBytes(int) gathers it in pieces, then copies them). */
        private static byte[] readExactly(InputStream stream, int length) throws IOException {
            byte[] body = new byte[length];
            if (stream.readNBytes(body, 0, length) != length) {
                throw new IOException("the request ended before its stated " + length + " bytes");
            }
            return body;
        }

        /**
         * With a key, a request whose proof does not hold ({@code check} says why) is refused:
         * first on its headers, before its body is read, then on its body, before anything parses it.
         */
        private void authenticate(RequestData config, Function<ClusterKey, String> check) {
            ClusterKey k = key;
            if (k == null) {
                return;
            }
            String why = check.apply(k);
            if (why != null) {
                String source = ConnectionGuard.currentSource();
                if (refusalsLogged.size() < MAX_LOGGED && refusalsLogged.add(source + " " + why)) {
                    log.warn("refused a request from {}: {} (logged once per source and reason)", source, why);
                }
                config.setKeepAlive(false);
                throw new FsException(ErrorCode.UNAUTHENTICATED, "request refused: " + why);
            }
        }

        @Override
        protected InputStream getInputStream(XmlRpcStreamRequestConfig config, ServerStreamConnection connection)
                throws IOException {
            RequestData data = (RequestData) config;
            if (data.getContentLength() > Limits.MAX_REQUEST_BYTES) {
                data.setKeepAlive(false); // the unread body must not be taken for the next request
                throw new FsException(ErrorCode.TOO_LARGE, "request of " + data.getContentLength()
                        + " bytes exceeds the limit of " + Limits.MAX_REQUEST_BYTES);
            }
            InputStream in = super.getInputStream(config, connection);
            return data.getContentLength() >= 0 ? in : new CappedInputStream(in, data);
        }

        @Override
        protected Throwable convertThrowable(Throwable error) {
            Throwable cause = error instanceof XmlRpcInvocationException && error.getCause() != null
                    ? error.getCause() : error;
            if (cause instanceof FsException fs) {
                return new XmlRpcException(fs.code().wire(), fs.getMessage());
            }
            if (cause instanceof XmlRpcException x && !(error instanceof XmlRpcInvocationException)) {
                // Parse errors, unknown methods, arguments of the wrong types: the caller's fault.
                return new XmlRpcException(ErrorCode.INVALID_ARGUMENT.wire(), x.getMessage());
            }
            log.error("internal error serving a request", cause);
            return new XmlRpcException(ErrorCode.INTERNAL.wire(), "internal error: " + cause.getClass().getSimpleName());
        }

        @Override
        protected void logError(Throwable t) {
            // Logged (or not) where it is translated, in convertThrowable.
        }

        @Override
        protected void writeError(XmlRpcStreamRequestConfig config, OutputStream stream, Throwable error)
                throws XmlRpcException {
            // A fault is an ordinary XML-RPC answer: sent with the same headers as a result, so the
            // connection stays open. (The library's error header says "Connection: close" and ends
            // the connection after every fault: every lookup of a name that does not exist, which
            // every create and most programs make, then cost a new connection, and over TLS a
            // handshake.) Requests that must not keep the connection (a refused or oversized one)
            // have keep-alive turned off before they get here.
            RequestData data = (RequestData) config;
            keepAlive.add(data);
            // The fault the library's writer would write, in the plain layout when its message
            // needs no escaping (as a "no such entry" of a plain name).
            Throwable fault = convertThrowable(error);
            int code = fault instanceof XmlRpcException x ? x.code : 0;
            byte[] plain = PlainResponseWriter.fault(code, fault.getMessage());
            try {
                if (plain != null && data.isByteArrayRequired()) {
                    data.getConnection().writeResponse(data, new SizedBody(plain));
                } else if (data.isByteArrayRequired()) {
                    writeFault(config, stream, code, fault, plain);
                    data.getConnection().writeResponse(data, stream);
                } else {
                    data.getConnection().writeResponseHeader(data, -1);
                    writeFault(config, stream, code, fault, plain);
                    stream.flush();
                }
            } catch (IOException e) {
                throw new XmlRpcException(e.getMessage(), e);
            }
        }

        @Override
        protected void writeResponse(XmlRpcStreamRequestConfig config, OutputStream stream, Object result)
                throws XmlRpcException {
            RequestData data = (RequestData) config;
            keepAlive.add(data);
            byte[] plain = PlainResponseWriter.write(result);
            try {
                if (plain != null && data.isByteArrayRequired()) {
                    // Sent from its own array: copied into the library's buffer, grown by doubling,
                    // a block read's answer took twice again its size of the heap.
                    data.getConnection().writeResponse(data, new SizedBody(plain));
                } else if (data.isByteArrayRequired()) {
                    writeBody(config, stream, result, plain);
                    data.getConnection().writeResponse(data, stream);
                } else {
                    data.getConnection().writeResponseHeader(data, -1);
                    writeBody(config, stream, result, plain);
                    stream.flush();
                }
            } catch (IOException e) {
                throw new XmlRpcException(e.getMessage(), e);
            }
        }

        /** {@code plain} when there is one, else the library's writer (what its writeError does, once converted). */
        private void writeFault(XmlRpcStreamRequestConfig config, OutputStream stream, int code, Throwable fault, byte[] plain)
                throws XmlRpcException, IOException {
            if (plain != null) {
                stream.write(plain);
                return;
            }
            try {
                getXmlRpcWriter(config, stream).write(config, code, fault.getMessage(), fault);
            } catch (SAXException e) {
                throw new XmlRpcException("Failed to write XML-RPC response: " + e.getMessage(), e);
            }
        }

        /** The plain layout when the result has it (a block read's answer), else the library's writer. */
        private void writeBody(XmlRpcStreamRequestConfig config, OutputStream stream, Object result, byte[] plain)
                throws XmlRpcException, IOException {
            if (plain != null) {
                stream.write(plain);
            } else {
                super.writeResponse(config, stream, result);
            }
        }

        @Override
        protected void setResponseHeader(ServerStreamConnection connection, String header, String value) {
            ((org.apache.xmlrpc.webserver.Connection) connection).setResponseHeader(header, value);
        }
    }

    /** An answer already in one exact array, as the library's Connection takes it (a ByteArrayOutputStream: size and writeTo). */
    private static final class SizedBody extends ByteArrayOutputStream {
        SizedBody(byte[] body) {
            super(0);
            buf = body;
            count = body.length;
        }
    }

    /** A body without Content-Length may not exceed the cap either. */
    private static final class CappedInputStream extends FilterInputStream {
        private final RequestData data;
        private long read;

        CappedInputStream(InputStream in, RequestData data) {
            super(in);
            this.data = data;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) throws IOException {
            read += n;
            if (read > Limits.MAX_REQUEST_BYTES) {
                data.setKeepAlive(false);
                throw new IOException("request exceeds the limit of " + Limits.MAX_REQUEST_BYTES + " bytes");
            }
        }
    }
}
