package org.quorumfs.common.server;

import org.quorumfs.common.rpc.PortInUseException;

import java.io.IOException;
import java.net.BindException;
import java.util.concurrent.CountDownLatch;

/**
 * Runs an embeddable server from a thin {@code main}: starts it, maps start-up failures to exit
 * codes with a one-line message, closes it on SIGTERM/SIGINT, and otherwise waits.
 */
public final class ServerRunner {
    /** Exit code: the port is already in use. */
    public static final int EXIT_PORT_IN_USE = 3;
    /** Exit code: the server could not start (data directory, store). */
    public static final int EXIT_START_FAILED = 4;

    /** Something that starts a server. */
    public interface Starter {
        EmbeddedServer start() throws IOException;
    }

    private ServerRunner() {
    }

    /** Starts the server and blocks until the JVM is asked to stop; returns an exit code only on failure. */
    public static int run(String what, int port, Starter starter) {
        EmbeddedServer server;
        try {
            server = starter.start();
        } catch (PortInUseException | BindException e) {
            System.err.println(what + ": port " + port + " is already in use");
            return EXIT_PORT_IN_USE;
        } catch (IOException | RuntimeException e) {
            System.err.println(what + ": cannot start: " + e.getMessage());
            return EXIT_START_FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (RuntimeException e) {
                System.err.println(what + ": error while stopping: " + e.getMessage());
            }
            stopped.countDown();
        }, "shutdown"));
        System.out.println(what + " ready on port " + server.port());
        System.out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
