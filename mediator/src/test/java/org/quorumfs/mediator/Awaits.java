package org.quorumfs.mediator;

/** Waits that tests need because a mediator skips a failed server for a back-off period. */
final class Awaits {
    private Awaits() {
    }

    /** Past the 300 ms down back-off of {@code MiniCluster.config}. */
    static void pastBackoff() {
        try {
            Thread.sleep(400);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
