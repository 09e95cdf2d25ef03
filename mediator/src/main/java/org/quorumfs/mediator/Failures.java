package org.quorumfs.mediator;

import java.net.SocketTimeoutException;

/** Tells failures apart where the retry policy depends on it. */
final class Failures {
    private Failures() {
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
