package org.quorumfs.mediator;

import java.net.ConnectException;
import java.net.SocketTimeoutException;

/** Tells failures apart where the retry policy depends on it. */
final class Failures {
    /**
     * Immediate retries allowed for failures that look like a dead kept-alive connection: one more
     * than HttpURLConnection keeps idle per server (http.maxConnections, 5), so that after a server
     * restarts, every dead cached connection can be drawn and discarded before a fresh one is made.
     */
    static final int STALE_CONNECTION_RETRIES = 6;

    private Failures() {
    }

    /** Whether the server refused the connection: it is not running (retry only after a pause). */
    static boolean refused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }

    /** Whether the call reached a server that did not answer in time (it may be hung, or may have acted). */
    static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }
}
