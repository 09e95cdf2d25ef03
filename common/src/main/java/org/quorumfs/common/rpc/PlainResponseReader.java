package org.quorumfs.common.rpc;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a successful XML-RPC response laid out as our servers write it — no white space between
 * elements, no entity references, the types the protocol uses (struct, array, string, i4/int,
 * boolean, base64) — without an XML parser: a block read's 1.4 MB response cost a SAX pass and a
 * copy per character. Anything else (a fault, another server's layout, a value with an entity)
 * answers empty, and the caller parses the body as the general XML-RPC it may well be. The values
 * built are those the library's parser builds (HashMap, Object[], Integer, Boolean, String,
 * byte[]).
 */
final class PlainResponseReader {
    private final byte[] b;
    private int at;

    private PlainResponseReader(byte[] body) {
        this.b = body;
    }

    static Optional<Object> read(byte[] body) {
        try {
            return Optional.ofNullable(new PlainResponseReader(body).response());
        } catch (NotPlain | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Thrown, without a stack trace, where the body leaves the plain layout. */
    private static final class NotPlain extends Exception {
        NotPlain() {
            super(null, null, false, false);
        }
    }

    private Object response() throws NotPlain {
        if (skip("<?xml")) {
            at = indexOf("?>") + 2;
        }
        expect("<methodResponse><params><param>");
        Object v = value();
        expect("</param></params></methodResponse>");
        while (at < b.length && Character.isWhitespace(b[at])) {
            at++;
        }
        if (at != b.length) {
            throw new NotPlain();
        }
        return v;
    }

    private Object value() throws NotPlain {
        expect("<value>");
        Object v;
        if (skip("<string>")) {
            v = text();
            expect("</string>");
        } else if (skip("<i4>")) {
            v = Integer.parseInt(text());
            expect("</i4>");
        } else if (skip("<int>")) {
            v = Integer.parseInt(text());
            expect("</int>");
        } else if (skip("<boolean>")) {
            String t = text();
            if (!t.equals("0") && !t.equals("1")) {
                throw new NotPlain();
            }
            v = t.equals("1");
            expect("</boolean>");
        } else if (skip("<base64>")) {
            int end = nextTag();
            ByteBuffer d = Base64.getDecoder().decode(ByteBuffer.wrap(b, at, end - at));
            v = d.remaining() == d.array().length ? d.array() : Arrays.copyOf(d.array(), d.remaining());
            at = end;
            expect("</base64>");
        } else if (skip("<struct>")) {
            Map<String, Object> m = new HashMap<>();
            while (skip("<member><name>")) {
                String name = text();
                expect("</name>");
                m.put(name, value());
                expect("</member>");
            }
            expect("</struct>");
            v = m;
        } else if (skip("<array><data/></array>")) {
            v = new Object[0];
        } else if (skip("<array><data>")) {
            List<Object> l = new ArrayList<>();
            while (at < b.length && startsWith("<value>")) {
                l.add(value());
            }
            expect("</data></array>");
            v = l.toArray();
        } else if (startsWith("</value>")) {
            v = "";
        } else if (b.length > at && b[at] != '<') {
            v = text(); // an untyped value is a string
        } else {
            throw new NotPlain();
        }
        expect("</value>");
        return v;
    }

    /** Text up to the next tag; no entity references. */
    private String text() throws NotPlain {
        int end = nextTag();
        for (int i = at; i < end; i++) {
            if (b[i] == '&') {
                throw new NotPlain();
            }
        }
        String s = new String(b, at, end - at, StandardCharsets.UTF_8);
        at = end;
        return s;
    }

    /** Where the next '<' is: a plain loop over bytes, which the JIT compiles tight. */
    private int nextTag() throws NotPlain {
        byte[] bytes = b;
        for (int i = at; i < bytes.length; i++) {
            if (bytes[i] == '<') {
                return i;
            }
        }
        throw new NotPlain();
    }

    private boolean startsWith(String ascii) {
        if (at + ascii.length() > b.length) {
            return false;
        }
        for (int i = 0; i < ascii.length(); i++) {
            if (b[at + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean skip(String ascii) {
        if (startsWith(ascii)) {
            at += ascii.length();
            return true;
        }
        return false;
    }

    private void expect(String ascii) throws NotPlain {
        if (!skip(ascii)) {
            throw new NotPlain();
        }
    }

    private int indexOf(String ascii) throws NotPlain {
        outer:
        for (int i = at; i + ascii.length() <= b.length; i++) {
            for (int j = 0; j < ascii.length(); j++) {
                if (b[i + j] != ascii.charAt(j)) {
                    continue outer;
                }
            }
            return i;
        }
        throw new NotPlain();
    }
}
