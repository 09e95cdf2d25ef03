package org.quorumfs.common.rpc;

import java.io.ObjectInputFilter;

/**
 * Forbids Java deserialization in this process. The XML-RPC client deserializes a fault's
 * "faultCause" member if a server sends one, whatever the extension settings: a hostile server
 * could otherwise run a gadget chain in the client. QuorumFS never uses Java serialization.
 */
final class SerialFilter {
    private SerialFilter() {
    }

    static synchronized void install() {
        if (ObjectInputFilter.Config.getSerialFilter() == null) {
            ObjectInputFilter.Config.setSerialFilter(info -> ObjectInputFilter.Status.REJECTED);
        }
    }
}
