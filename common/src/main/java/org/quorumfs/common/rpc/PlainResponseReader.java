package org.quorumfs.common.rpc;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a successful XML-RPC response laid out as our servers write it ({@link PlainXml}: no white
 * space between elements, no entity references; the types the protocol uses: struct, array,
 * string, i4/int, boolean, base64) without an XML parser: a block read's 1.4 MB response cost a SAX
 * pass and a copy per character. Anything else (a fault, another server's layout, a value with an
 * entity) answers empty, and the caller parses the body as the general XML-RPC it may well be. The
 * values built are those the library's parser builds (HashMap, Object[], Integer, Boolean, String,
 * byte[]).
 */
final class PlainResponseReader {
    private final PlainXml x;

    private PlainResponseReader(byte[] body) {
        this.x = new PlainXml(body);
    }

    static Optional<Object> read(byte[] body) {
        try {
            return Optional.ofNullable(new PlainResponseReader(body).response());
        } catch (PlainXml.NotPlain e) {
            return Optional.empty();
        }
    }

    private Object response() throws PlainXml.NotPlain {
        x.skipDeclaration();
        x.expect("<methodResponse><params><param>");
        Object v = value();
        x.expect("</param></params></methodResponse>");
        x.expectEnd();
        return v;
    }

    private Object value() throws PlainXml.NotPlain {
        x.expect("<value>");
        Object v;
        if (x.skip("<string>")) {
            v = x.text();
            x.expect("</string>");
        } else if (x.skip("<i4>")) {
            v = x.integer();
            x.expect("</i4>");
        } else if (x.skip("<int>")) {
            v = x.integer();
            x.expect("</int>");
        } else if (x.skip("<boolean>")) {
            String t = x.text();
            if (!t.equals("0") && !t.equals("1")) {
                throw new PlainXml.NotPlain();
            }
            v = t.equals("1");
            x.expect("</boolean>");
        } else if (x.skip("<base64>")) {
            v = x.base64();
            x.expect("</base64>");
        } else if (x.skip("<struct>")) {
            Map<String, Object> m = new HashMap<>();
            while (x.skip("<member><name>")) {
                String name = x.text();
                x.expect("</name>");
                m.put(name, value());
                x.expect("</member>");
            }
            x.expect("</struct>");
            v = m;
        } else if (x.skip("<array><data/></array>")) {
            v = new Object[0];
        } else if (x.skip("<array><data>")) {
            List<Object> l = new ArrayList<>();
            while (x.startsWith("<value>")) {
                l.add(value());
            }
            x.expect("</data></array>");
            v = l.toArray();
        } else if (x.startsWith("<")) {
            if (!x.startsWith("</value>")) {
                throw new PlainXml.NotPlain();
            }
            v = "";
        } else {
            v = x.text(); // an untyped value is a string
        }
        x.expect("</value>");
        return v;
    }
}
