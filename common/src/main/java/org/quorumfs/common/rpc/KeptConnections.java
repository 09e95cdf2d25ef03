package org.quorumfs.common.rpc;

import com.google.common.net.HostAndPort;
import org.quorumfs.common.protocol.Limits;

import javax.net.ssl.SSLSocket;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * HTTP/1.1 POSTs to one server over connections kept alive between calls: the part of the JDK's
 * HttpURLConnection a call to our servers needs, without the rest (its header handling was a
 * fifth of a client's CPU per small-file read). A connection is reused only within what the
 * server promised in its Keep-Alive header ({@link KeepAliveHeader}); at most {@link #MAX_IDLE}
 * wait per server, newest first, as HttpURLConnection kept them. Over
 * TLS each connection trusts only the cluster's certificate. Failures are IOExceptions as the
 * JDK's are (SocketTimeoutException, ConnectException, or an EOF on a connection the server
 * closed), which the caller's retry policy tells apart.
 */
final class KeptConnections {
    /** As HttpURLConnection's http.maxConnections. */
    static final int MAX_IDLE = 5;
    /** How long a connection is reused when the server promised nothing (HttpURLConnection's default). */
    private static final long DEFAULT_KEEP_NANOS = 5_000_000_000L;
    private static final int MAX_HEADER_LINE = 8192;
    private static final int MAX_HEADERS = 100;

    /** An answer: its status and body. */
    record Answer(int status, String reason, byte[] body) {
    }

    private static final class Connection {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        long reusableUntilNanos;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 16 << 10);
            this.out = socket.getOutputStream();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a connection we give up on
            }
        }
    }

    private final HostAndPort endpoint;
    private final ClusterTls tls;
    private final Deque<Connection> idle = new ArrayDeque<>();

    KeptConnections(HostAndPort endpoint, ClusterTls tls) {
        this.endpoint = endpoint;
        this.tls = tls;
    }

    /**
     * Sends a POST of {@code body} with {@code headers} (name, value pairs) to {@code path} and
     * reads the answer, within {@code connectMillis} to connect and {@code replyMillis} per read.
     * A call that fails on a kept connection other than by timing out is sent once more on a new
     * one (the mediator's RetryBudget retries such failures at once anyway): a server that
     * restarted closed every connection kept to it.
     */
    Answer post(String path, List<String[]> headers, byte[] body, int connectMillis, int replyMillis) throws IOException {
        byte[] head = head(path, headers, body.length);
        Connection kept = take();
        if (kept != null) {
            try {
                return exchange(kept, head, body, replyMillis);
            } catch (SocketTimeoutException e) {
                throw e; // a hung server: the call may have run, and another try costs a timeout again
            } catch (IOException e) {
                // Most likely the server closed the kept connection while it was idle (it restarted):
                // the others kept from then are as dead. Once more, on a connection of its own.
                close();
            }
        }
        return exchange(open(connectMillis), head, body, replyMillis);
    }

    private byte[] head(String path, List<String[]> headers, int length) {
        StringBuilder head = new StringBuilder(256).append("POST ").append(path).append(" HTTP/1.1\r\nHost: ")
                .append(endpoint).append("\r\nConnection: keep-alive\r\nContent-Length: ").append(length).append("\r\n");
        for (String[] h : headers) {
            if (!h[0].equalsIgnoreCase("Content-Length")) {
                head.append(h[0]).append(": ").append(h[1]).append("\r\n");
            }
        }
        return head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** One request and its answer on {@code c}, which goes back to the pool if the server keeps it open. */
    private Answer exchange(Connection c, byte[] head, byte[] body, int replyMillis) throws IOException {
        boolean keep = false;
        try {
            c.socket.setSoTimeout(replyMillis);
            if (body.length <= 64 << 10) { // one segment for a small call
                byte[] all = new byte[head.length + body.length];
                System.arraycopy(head, 0, all, 0, head.length);
                System.arraycopy(body, 0, all, head.length, body.length);
                c.out.write(all);
            } else {
                c.out.write(head);
                c.out.write(body);
            }
            c.out.flush();
            Answer answer = read(c);
            keep = c.reusableUntilNanos != 0;
            return answer;
        } finally {
            if (keep) {
                give(c);
            } else {
                c.close();
            }
        }
    }

    /** Closes the idle connections. */
    void close() {
        synchronized (idle) {
            idle.forEach(Connection::close);
            idle.clear();
        }
    }

    private Connection take() {
        long now = System.nanoTime();
        synchronized (idle) {
            for (Connection c = idle.pollFirst(); c != null; c = idle.pollFirst()) {
                if (now - c.reusableUntilNanos < 0) {
                    return c;
                }
                c.close();
            }
        }
        return null;
    }

    private void give(Connection c) {
        synchronized (idle) {
            if (idle.size() < MAX_IDLE) {
                idle.addFirst(c);
                return;
            }
        }
        c.close();
    }

    private Connection open(int connectMillis) throws IOException {
        Socket s = tls != null ? tls.clientSockets().createSocket() : new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), connectMillis);
            if (s instanceof SSLSocket ssl) {
                ssl.setSoTimeout(connectMillis);
                ssl.startHandshake();
            }
            return new Connection(s);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Reads status, headers and body; sets whether and until when the connection may be reused. */
    private static Answer read(Connection c) throws IOException {
        String status = line(c.in);
        if (status == null) {
            throw new EOFException("Unexpected end of file from server"); // as the JDK says it
        }
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            // Logged and shown to users: the bytes of, say, a TLS alert must not reach them raw.
            throw new IOException("not an HTTP answer (a server speaking TLS?): "
                    + printable(status));
        }
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP status: " + printable(status));
        }
        long length = -1;
        boolean keepAlive = parts[0].equals("HTTP/1.1");
        long keepNanos = DEFAULT_KEEP_NANOS;
        int count = 0;
        for (String h = line(c.in); h != null && !h.isEmpty(); h = line(c.in)) {
            if (++count > MAX_HEADERS) {
                throw new IOException("an answer with more than " + MAX_HEADERS + " headers");
            }
            int colon = h.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = parseLong(value);
                case "connection" -> keepAlive = value.equalsIgnoreCase("keep-alive")
                        || (keepAlive && !value.equalsIgnoreCase("close"));
                case "keep-alive" -> keepNanos = keepAliveNanos(value, keepNanos);
                case "transfer-encoding" -> throw new IOException("a " + value + " answer (our servers state the length)");
                default -> {
                }
            }
        }
        byte[] body;
        if (length >= 0) {
            if (length > Limits.MAX_REQUEST_BYTES) {
                throw new IOException("an answer of " + length + " bytes, more than any of ours");
            }
            // One array (readNBytes(int) gathers pieces, then copies them), a kept one for a large answer.
            body = LargeArrays.take((int) length);
            if (c.in.readNBytes(body, 0, body.length) != length) {
                throw new EOFException("the answer ended before its stated " + length + " bytes");
            }
        } else {
            body = c.in.readNBytes(Limits.MAX_REQUEST_BYTES + 1); // until the server closes
            if (body.length > Limits.MAX_REQUEST_BYTES) {
                throw new IOException("an answer of more than " + Limits.MAX_REQUEST_BYTES + " bytes, more than any of ours");
            }
            keepAlive = false;
        }
        c.reusableUntilNanos = keepAlive ? System.nanoTime() + keepNanos : 0;
        return new Answer(code, parts.length > 2 ? parts[2] : "", body);
    }

    /** The start of {@code s}, fit for a log line. */
    private static String printable(String s) {
        return s.substring(0, Math.min(s.length(), 40)).replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static long keepAliveNanos(String value, long otherwise) {
        for (String part : value.split(",")) {
            String p = part.trim();
            if (p.regionMatches(true, 0, "timeout=", 0, 8)) {
                long seconds = parseLong(p.substring(8));
                return seconds >= 0 ? seconds * 1_000_000_000L : otherwise;
            }
        }
        return otherwise;
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** One header line without its CRLF; null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (line.size() >= MAX_HEADER_LINE) {
                throw new IOException("a header line longer than " + MAX_HEADER_LINE + " bytes");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
