package org.quorumfs.mediator.testing;

import com.google.common.net.HostAndPort;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP relay in front of a server that, while held, stops passing requests on: with the small
 * buffers between, a sender's write of a large body blocks part-way, as towards a server that
 * stopped reading. Answers always pass.
 */
public final class GatedProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final HostAndPort upstream;
    private final List<Socket> sockets = new ArrayList<>();
    private boolean held;

    private GatedProxy(ServerSocket listener, HostAndPort upstream) {
        this.listener = listener;
        this.upstream = upstream;
    }

    public static GatedProxy to(HostAndPort upstream) throws IOException {
        ServerSocket listener = new ServerSocket();
        listener.setReceiveBufferSize(4096); // inherited by the accepted sockets
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        GatedProxy proxy = new GatedProxy(listener, upstream);
        daemon(proxy::accept);
        return proxy;
    }

    public HostAndPort endpoint() {
        return HostAndPort.fromParts("127.0.0.1", listener.getLocalPort());
    }

    /** From now on requests stop where they are. */
    public synchronized void hold() {
        held = true;
    }

    /** Requests held go on. */
    public synchronized void release() {
        held = false;
        notifyAll();
    }

    private synchronized void awaitReleased() throws InterruptedException {
        while (held) {
            wait();
        }
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket in = listener.accept();
                Socket out = new Socket(upstream.getHost(), upstream.getPort());
                synchronized (sockets) {
                    sockets.add(in);
                    sockets.add(out);
                }
                daemon(() -> pump(in, out, true));
                daemon(() -> pump(out, in, false));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean gated) {
        byte[] buffer = new byte[4096];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            while (true) {
                if (gated) {
                    awaitReleased();
                }
                int n = in.read(buffer);
                if (n < 0) {
                    return;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // a side closed: the relay ends
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void daemon(Runnable r) {
        Thread t = new Thread(r, "gated-proxy");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        release();
        listener.close();
        synchronized (sockets) {
            sockets.forEach(GatedProxy::closeQuietly);
        }
    }
}
