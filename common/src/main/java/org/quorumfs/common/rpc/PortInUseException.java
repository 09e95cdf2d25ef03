package org.quorumfs.common.rpc;

import java.io.IOException;

/** The port a server was asked to bind is taken. */
public final class PortInUseException extends IOException {
    private static final long serialVersionUID = 1L;

    public PortInUseException(int port, Throwable cause) {
        super("port " + port + " is already in use", cause);
    }
}
