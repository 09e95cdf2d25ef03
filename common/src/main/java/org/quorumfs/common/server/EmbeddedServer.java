package org.quorumfs.common.server;

/** A server that runs inside a JVM: started by a factory method, stopped by {@link #close()}. */
public interface EmbeddedServer extends AutoCloseable {
    /** The port it is bound to. */
    int port();

    @Override
    void close();
}
