package org.quorumfs.common.rpc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Enforces {@link ConnectionLimits} on a server's connections: a watchdog closes a connection
 * that stays in one phase (waiting, reading a request, writing an answer) past the deadline,
 * streams count a request's bytes, and a source over its share of connections is turned away.
 * The phases are seen from the socket's streams: the first bytes after an answer start a request,
 * {@link #requestRead()} (called once the body is in) starts the handler, the first byte written
 * starts the answer, the next read after it waits for another request.
 */
final class ConnectionGuard implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);
    /** The connection the current thread serves (the library runs one connection per thread). */
    private static final ThreadLocal<Guarded> CURRENT = new ThreadLocal<>();

    enum Phase { WAITING, READING, HANDLING, WRITING }

    private final ConnectionLimits limits;
    private final Set<Guarded> live = ConcurrentHashMap.newKeySet();
    private final Map<InetAddress, Integer> perSource = new ConcurrentHashMap<>();
    /** Sources already logged for a refusal or a cut: each once, not once per connection. */
    private final Set<String> logged = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService watchdog;
    private final Map<Phase, LongAdder> cuts = new EnumMap<>(Phase.class);
    private final LongAdder served = new LongAdder();

    ConnectionGuard(ConnectionLimits limits, String name) {
        this.limits = limits;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name + "-connection-watchdog");
            t.setDaemon(true);
            return t;
        });
        for (Phase p : Phase.values()) {
            cuts.put(p, new LongAdder());
        }
        long tick = Math.max(10, Math.min(1000, limits.deadline().toMillis() / 4));
        watchdog.scheduleWithFixedDelay(this::closeOverdue, tick, tick, TimeUnit.MILLISECONDS);
    }

    /** The socket as the library's connection should see it: its streams report the phases. */
    Guarded guard(Socket socket) {
        return new Guarded(socket);
    }

    /** Called on the serving thread once a request's body has been read: the handler's time is not bounded here. */
    static void requestRead() {
        Guarded g = CURRENT.get();
        if (g != null) {
            g.enter(Phase.HANDLING);
        }
    }

    /** The address of the client the current thread serves, or "?" off a served connection. */
    static String currentSource() {
        Guarded g = CURRENT.get();
        return g == null ? "?" : g.getInetAddress().getHostAddress();
    }

    /** Runs {@code connection} on this thread, unless its source already holds its share. */
    void serve(Guarded g, ThrowingRunnable connection) throws Throwable {
        InetAddress source = g.real.getInetAddress();
        int held = perSource.merge(source, 1, Integer::sum);
        try {
            if (held > limits.perSource()) {
                logOnce("refused", source, "refused connections from {}: it holds {} already (logged once per source)",
                        source.getHostAddress(), limits.perSource());
                g.real.close();
                return;
            }
            served.increment();
            live.add(g);
            CURRENT.set(g);
            connection.run();
        } finally {
            CURRENT.remove();
            live.remove(g);
            perSource.computeIfPresent(source, (k, n) -> n > 1 ? n - 1 : null);
        }
    }

    /**
     * How long a connection that was answered may wait for its next request: the deadline, but at
     * least half a second past the reuse the Keep-Alive header promised (whole seconds, at least
     * one): with a deadline under that (tests use 800 ms), a client reusing the connection inside
     * the promise found it closed and got an end of file.
     */
    private long keptIdleNanos() {
        return Math.max(limits.deadline().toNanos(), KEPT_IDLE_FLOOR.toNanos());
    }

    static final Duration KEPT_IDLE_FLOOR = Duration.ofMillis(1500);

    private void closeOverdue() {
        long now = System.nanoTime();
        for (Guarded g : live) {
            long limit = g.phase == Phase.WAITING && g.answered ? keptIdleNanos() : limits.deadline().toNanos();
            if (g.phase != Phase.HANDLING && now - g.since > limit) {
                logOnce("cut", g.real.getInetAddress(), "closed a connection from {}: {} for more than {} ms (logged once per source)",
                        g.real.getInetAddress().getHostAddress(), g.phase.name().toLowerCase(), limits.deadline().toMillis());
                cuts.get(g.phase).increment();
                g.close();
            }
        }
    }

    private void logOnce(String kind, InetAddress source, String message, Object... args) {
        if (logged.size() < 4096 && logged.add(kind + " " + source.getHostAddress())) {
            log.warn(message, args);
        }
    }

    /** Connections cut so far while in {@code phase}. */
    long cuts(Phase phase) {
        return cuts.get(phase).sum();
    }

    /** Connections served since the start. */
    long servedConnections() {
        return served.sum();
    }

    int liveConnections() {
        return live.size();
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Throwable;
    }

    /**
     * A socket whose streams track the connection's phase. The library's connection uses only the
     * streams and close, so those are what is passed on to the real socket.
     */
    final class Guarded extends Socket {
        private final Socket real;
        private final InputStream in;
        private final OutputStream out;
        private volatile Phase phase = Phase.WAITING;
        /** Whether an answer went out on it: then it waits as a kept connection. */
        private volatile boolean answered;
        private volatile long since = System.nanoTime();
        private long requestBytes;

        private Guarded(Socket real) {
            this.real = real;
            try {
                this.in = new PhaseInput(real.getInputStream());
                this.out = new PhaseOutput(real.getOutputStream());
            } catch (IOException e) {
                throw new IllegalStateException("an accepted socket has no streams", e);
            }
        }

        void enter(Phase next) {
            if (phase != next) {
                since = System.nanoTime();
                phase = next;
            }
        }

        @Override
        public InputStream getInputStream() {
            return in;
        }

        @Override
        public OutputStream getOutputStream() {
            return out;
        }

        @Override
        public InetAddress getInetAddress() {
            return real.getInetAddress();
        }

        @Override
        public synchronized void close() {
            try {
                real.close();
            } catch (IOException e) {
                log.debug("closing a connection", e);
            }
        }

        @Override
        public boolean isClosed() {
            return real.isClosed();
        }

        private final class PhaseInput extends FilterInputStream {
            PhaseInput(InputStream in) {
                super(in);
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) == 1 ? one[0] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (phase == Phase.WRITING) {
                    answered = true;
                    enter(Phase.WAITING); // the answer is out; the connection waits for the next request
                }
                int n = super.read(b, off, len);
                if (n > 0) {
                    if (phase == Phase.WAITING || phase == Phase.HANDLING) {
                        requestBytes = 0;
                        enter(Phase.READING);
                    }
                    requestBytes += n;
                    if (requestBytes > limits.requestBytes()) {
                        throw new IOException("request exceeds " + limits.requestBytes() + " bytes with its headers");
                    }
                }
                return n;
            }
        }

        private final class PhaseOutput extends FilterOutputStream {
            PhaseOutput(OutputStream out) {
                super(out);
            }

            @Override
            public void write(int b) throws IOException {
                enter(Phase.WRITING);
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                enter(Phase.WRITING);
                out.write(b, off, len);
            }
        }
    }
}
