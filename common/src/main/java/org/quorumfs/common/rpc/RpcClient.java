package org.quorumfs.common.rpc;

import com.google.common.net.HostAndPort;
import com.google.common.primitives.Primitives;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
import org.apache.xmlrpc.client.XmlRpcClientException;
import org.apache.xmlrpc.client.XmlRpcHttpTransportException;
import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.MalformedURLException;
import java.net.URL;
import java.util.Optional;

/**
 * The XML-RPC client side of one server: typed proxies of the service interfaces in
 * {@code org.quorumfs.common.protocol}, with bounded waits. A proxy throws only {@link FsException}:
 * the server's fault code rebuilt, or {@link ErrorCode#UNAVAILABLE} when the server could not be
 * reached or did not answer in time. Thread-safe; connections are kept alive and reused.
 */
public final class RpcClient {
    static {
        SerialFilter.install();
        ReusedSaxParsers.install();
    }

    /** Read once: every client of the process proves the same key and speaks the same TLS. */
    private static final Optional<ClusterKey> PROCESS_KEY = ClusterKey.ofThisProcess();
    private static final Optional<ClusterTls> PROCESS_TLS = ClusterTls.ofThisProcess();

    private final HostAndPort endpoint;
    private final XmlRpcClient client;

    /**
     * A client that proves this process's cluster key and speaks its TLS when it has them
     * ({@link ClusterKey#ofThisProcess()}, {@link ClusterTls#ofThisProcess()}).
     */
    public RpcClient(HostAndPort endpoint, RpcTimeouts timeouts) {
        this(endpoint, timeouts, PROCESS_KEY, PROCESS_TLS);
    }

    /** A client that proves {@code key} on every call, when given, in plain HTTP. */
    public RpcClient(HostAndPort endpoint, RpcTimeouts timeouts, Optional<ClusterKey> key) {
        this(endpoint, timeouts, key, Optional.empty());
    }

    /** A client that proves {@code key} on every call, when given, over {@code tls} when given. */
    public RpcClient(HostAndPort endpoint, RpcTimeouts timeouts, Optional<ClusterKey> key, Optional<ClusterTls> tls) {
        this.endpoint = endpoint;
        XmlRpcClientConfigImpl config = new XmlRpcClientConfigImpl();
        try {
            config.setServerURL(new URL(tls.isPresent() ? "https" : "http", endpoint.getHost(), endpoint.getPort(), "/RPC2"));
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("bad endpoint " + endpoint, e);
        }
        config.setEnabledForExtensions(false);
        config.setEnabledForExceptions(false);
        config.setConnectionTimeout((int) timeouts.connect().toMillis());
        config.setReplyTimeout((int) timeouts.reply().toMillis());
        client = new XmlRpcClient();
        client.setConfig(config);
        client.setTransportFactory(new EncodedCallTransportFactory(client, endpoint, key.orElse(null), tls.orElse(null)));
        client.setTypeFactory(new FastTypeFactory(client));
        client.setXmlWriterFactory(new BulkXmlWriterFactory());
    }

    public HostAndPort endpoint() {
        return endpoint;
    }

    /** A proxy whose calls go to the handler registered under {@code service}'s name. */
    public <T> T proxy(Class<T> service) {
        Object proxy = Proxy.newProxyInstance(service.getClassLoader(), new Class<?>[] {service},
                (self, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return objectMethod(self, method, args, service);
                    }
                    return call(service.getName() + "." + method.getName(), method, args);
                });
        return service.cast(proxy);
    }

    /** Sends a call encoded once for several servers; the reply must be of {@code type}. */
    public <T> T send(EncodedCall call, Class<T> type) {
        return type.cast(execute(call.methodName(), new Object[] {call}, type));
    }

    private Object call(String name, Method method, Object[] args) {
        return execute(name, args == null ? new Object[0] : args, method.getReturnType());
    }

    private Object execute(String name, Object[] args, Class<?> returnType) {
        Object result;
        try {
            result = client.execute(name, args);
        } catch (XmlRpcException e) {
            throw translate(name, e);
        }
        if (!Primitives.wrap(returnType).isInstance(result)) {
            throw new FsException(ErrorCode.IO, endpoint + " answered " + name + " with a malformed reply");
        }
        return result;
    }

    private FsException translate(String name, XmlRpcException e) {
        if (e instanceof XmlRpcClientException || e instanceof XmlRpcHttpTransportException
                || e.getCause() instanceof IOException) {
            return new FsException(ErrorCode.UNAVAILABLE,
                    endpoint + " unavailable for " + name + ": " + e.getMessage(), e);
        }
        if (e.code > 0) {
            return new FsException(ErrorCode.fromWire(e.code), e.getMessage());
        }
        return new FsException(ErrorCode.INTERNAL, endpoint + " failed " + name + ": " + e.getMessage(), e);
    }

    private Object objectMethod(Object self, Method method, Object[] args, Class<?> service) {
        return switch (method.getName()) {
            case "equals" -> self == args[0];
            case "hashCode" -> System.identityHashCode(self);
            default -> service.getSimpleName() + "@" + endpoint;
        };
    }
}
