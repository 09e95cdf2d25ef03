package org.quorumfs.common.rpc;

import java.util.Map;
import java.util.Optional;

/**
 * Reads an XML-RPC response laid out as our servers write it ({@link PlainXml}: no white
 * space between elements, no entity references; the types the protocol uses: struct, array,
 * string, i4/int, boolean, base64) without an XML parser: a block read's 1.4 MB response cost a SAX
 * pass and a copy per character. A fault of that layout is read as a {@link Fault}. Anything else
 * (another server's layout, a value with an entity) answers empty, and the caller parses the body
 * as the general XML-RPC it may well be. The values built are those the library's parser builds
 * (HashMap, Object[], Integer, Boolean, String, byte[]).
 */
final class PlainResponseReader {
    private final PlainXml x;

    private PlainResponseReader(byte[] body, Base64Target target) {
        this.x = new PlainXml(body, target);
    }

    static Optional<Object> read(byte[] body) {
        return read(body, null);
    }

    /** {@link #read(byte[])}, its base64 value decoded into {@code target} when given. */
    static Optional<Object> read(byte[] body, Base64Target target) {
        try {
            return Optional.ofNullable(new PlainResponseReader(body, target).response());
        } catch (PlainXml.NotPlain e) {
            return Optional.empty();
        }
    }

    /** A fault response: its code and message, as the library's parser reads them. */
    record Fault(int code, String message) {
    }

    private Object response() throws PlainXml.NotPlain {
        x.skipDeclaration();
        boolean fault = x.skip("<methodResponse><fault>");
        if (!fault) {
            x.expect("<methodResponse><params><param>");
        }
        Object v = x.value();
        x.expect(fault ? "</fault></methodResponse>" : "</param></params></methodResponse>");
        x.expectEnd();
        return fault ? fault(v) : v;
    }

    private static Fault fault(Object v) throws PlainXml.NotPlain {
        if (v instanceof Map<?, ?> m && m.size() == 2 && m.get("faultCode") instanceof Integer code
                && m.get("faultString") instanceof String message) {
            return new Fault(code, message);
        }
        throw new PlainXml.NotPlain(); // a cause or other members: the library's to read
    }
}
