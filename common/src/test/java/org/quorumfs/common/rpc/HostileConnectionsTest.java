package org.quorumfs.common.rpc;

import com.google.common.net.HostAndPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.quorumfs.common.protocol.Limits;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Connections that hold a server without finishing a request: each is cut when its phase outlasts
 * the deadline, a source past its share is turned away, and a well-behaved client is served all
 * along.
 */
class HostileConnectionsTest {
    private static final Duration DEADLINE = Duration.ofMillis(800);
    private static final int PER_SOURCE = 6;

    private RpcServer server;
    private RpcServerTest.EchoService echo;

    @BeforeEach
    void start() throws IOException {
        ConnectionLimits limits = new ConnectionLimits(DEADLINE, PER_SOURCE, 64, Limits.MAX_REQUEST_BYTES + 65536L);
        server = new RpcServer(InetAddress.getLoopbackAddress(), 0, Optional.empty(), Optional.empty(), limits)
                .register(RpcServerTest.EchoService.class, new RpcServerTest.Echo()).start();
        echo = new RpcClient(HostAndPort.fromParts("127.0.0.1", server.port()), RpcTimeouts.DEFAULT)
                .proxy(RpcServerTest.EchoService.class);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
        s.setSoTimeout(10_000);
        return s;
    }

    /** Blocks until the server closes {@code s} (end of stream or reset); the time it took. */
    private static Duration awaitClosedByServer(Socket s) throws IOException {
        long start = System.nanoTime();
        InputStream in = s.getInputStream();
        try {
            while (in.read() >= 0) {
                // an error page may come first
            }
        } catch (SocketException reset) {
            // closed with unread bytes in its buffer: a reset
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not close the connection within 10 s", e);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Test
    void aClientSendingAByteASecond_isCutAtTheDeadline_whileOthersAreServed() throws Exception {
        byte[] request = ("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n"
                + "X-Padding: " + "a".repeat(500) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Socket slow = connect()) {
            OutputStream out = slow.getOutputStream();
            Future<?> dripping = pool.submit(() -> {
                for (byte b : request) {
                    out.write(b);
                    out.flush();
                    Thread.sleep(50);
                }
                return null;
            });
            long start = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                assertThat(echo.echo(new byte[] {(byte) i})).containsExactly(i);
            }
            awaitClosedByServer(slow);
            Duration cut = Duration.ofNanos(System.nanoTime() - start);
            // 568 bytes at 20 a second would take 28 s: it was cut near the deadline instead.
            assertThat(cut).isBetween(DEADLINE.minusMillis(300), DEADLINE.plusSeconds(3));
            dripping.cancel(true);
            assertThat(server.cuts(ConnectionGuard.Phase.READING)).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(echo.echo(new byte[] {9})).containsExactly(9);
    }

    @Test
    void aKeptConnection_outlivesTheReuseItsAnswerPromised_evenUnderAShortDeadline() throws Exception {
        // The answers promise reuse for 1 s (Keep-Alive counts whole seconds); the deadline is
        // 800 ms. A call 950 ms after the last one reuses the connection, which must still be open.
        for (int i = 0; i < 3; i++) {
            assertThat(echo.echo(new byte[] {(byte) i})).containsExactly(i);
            Thread.sleep(950);
        }
        assertThat(echo.echo(new byte[] {9})).containsExactly(9);
        assertThat(server.cuts(ConnectionGuard.Phase.WAITING)).isZero();
    }

    @Test
    void aSilentConnection_isClosedAtTheDeadline() throws Exception {
        try (Socket silent = connect()) {
            assertThat(awaitClosedByServer(silent)).isBetween(DEADLINE.minusMillis(300), DEADLINE.plusSeconds(3));
            assertThat(server.cuts(ConnectionGuard.Phase.WAITING)).isEqualTo(1);
        }
    }

    @Test
    void aSourcePastItsShare_isTurnedAwayAtOnce_andServedAgainWhenItsConnectionsGo() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < PER_SOURCE; i++) {
                held.add(connect());
            }
            waitFor(() -> server.liveConnections() == PER_SOURCE);
            try (Socket extra = connect()) {
                assertThat(awaitClosedByServer(extra)).isLessThan(DEADLINE.minusMillis(200));
            }
            assertThat(server.liveConnections()).isEqualTo(PER_SOURCE);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        waitFor(() -> server.liveConnections() == 0);
        assertThat(echo.echo(new byte[] {1})).containsExactly(1);
    }

    @Test
    void endlessHeaders_areCutByTheRequestCap() throws Exception {
        byte[] line = ("X-" + "h".repeat(1000) + ": v\r\n").getBytes(StandardCharsets.US_ASCII);
        long sent = 0;
        try (Socket flood = connect()) {
            OutputStream out = flood.getOutputStream();
            out.write("POST /RPC2 HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            try {
                for (int i = 0; i < 100_000; i++) { // 100 MB of distinct headers if nothing stopped it
                    byte[] distinct = line.clone();
                    byte[] n = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(n, 0, distinct, 2, n.length);
                    out.write(distinct);
                    sent += distinct.length;
                }
                throw new AssertionError("100 MB of headers were all taken");
            } catch (SocketException expected) {
                // cut: broken pipe or reset
            }
        }
        // Cut at the cap, give or take what the socket buffers held (loopback's grow to several MB).
        assertThat(sent).isLessThan(Limits.MAX_REQUEST_BYTES + 65536L + (16 << 20));
        assertThat(echo.echo(new byte[] {2})).containsExactly(2);
    }

    @Test
    void aClientThatNeverReadsItsAnswer_isCutAtTheDeadline() throws Exception {
        byte[] data = new byte[1 << 20];
        Arrays.fill(data, (byte) 7);
        String body = "<?xml version=\"1.0\"?><methodCall><methodName>" + RpcServerTest.EchoService.class.getName()
                + ".echo</methodName><params><param><value><base64>"
                + java.util.Base64.getEncoder().encodeToString(data) + "</base64></value></param></params></methodCall>";
        byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
        try (Socket reader = new Socket()) {
            reader.setReceiveBufferSize(4096);
            reader.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
            OutputStream out = reader.getOutputStream();
            // Four calls sent at once (HTTP/1.1 pipelining): 5.6 MB of answers, more than the
            // socket buffers hold, so the server's write blocks once they fill.
            for (int i = 0; i < 4; i++) {
                out.write(("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: " + bytes.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(bytes);
            }
            out.flush();
            waitFor(() -> server.liveConnections() == 1);
            waitFor(() -> server.liveConnections() == 0);
            assertThat(server.cuts(ConnectionGuard.Phase.WRITING)).isEqualTo(1);
        }
        assertThat(echo.echo(new byte[] {3})).containsExactly(3);
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(20);
        }
    }
}
