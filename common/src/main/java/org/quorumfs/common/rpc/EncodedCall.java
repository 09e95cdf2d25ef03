package org.quorumfs.common.rpc;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * A standard XML-RPC {@code methodCall} body serialized once, to be sent unchanged to several
 * servers ({@link RpcClient#send}): a block put to N replicas is encoded once, not N times, which
 * profiled at two thirds of the client's CPU in a sequential write. Parameters may be strings,
 * ints and byte arrays (base64) — the types the data path uses.
 */
public final class EncodedCall {
    private final String methodName;
    private final byte[] body;

    private EncodedCall(String methodName, byte[] body) {
        this.methodName = methodName;
        this.body = body;
    }

    /** The call of {@code service}'s method {@code method} with {@code params}; the method must exist with that arity. */
    public static EncodedCall of(Class<?> service, String method, Object... params) {
        boolean declared = Arrays.stream(service.getMethods())
                .anyMatch(m -> m.getName().equals(method) && m.getParameterCount() == params.length);
        if (!declared) {
            throw new IllegalArgumentException(service.getName() + " has no method " + method + " of "
                    + params.length + " parameters");
        }
        String name = service.getName() + "." + method;
        int estimate = 256;
        for (Object p : params) {
            estimate += p instanceof byte[] b ? (b.length + 2) / 3 * 4 : 64;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(estimate);
        ascii(out, PROLOG + "<methodCall><methodName>");
        text(out, name);
        ascii(out, "</methodName><params>");
        for (Object p : params) {
            ascii(out, "<param><value>");
            if (p instanceof String s) {
                ascii(out, "<string>");
                text(out, s);
                ascii(out, "</string>");
            } else if (p instanceof Integer i) {
                ascii(out, "<i4>" + i + "</i4>");
            } else if (p instanceof byte[] b) {
                ascii(out, "<base64>");
                out.writeBytes(Base64.getEncoder().encode(b));
                ascii(out, "</base64>");
            } else {
                throw new IllegalArgumentException("cannot encode a parameter of " + p.getClass());
            }
            ascii(out, "</value></param>");
        }
        ascii(out, "</params></methodCall>");
        return new EncodedCall(name, out.toByteArray());
    }

    String methodName() {
        return methodName;
    }

    /**
     * The method name and parameters of a body laid out exactly as {@link #of} writes it, read
     * without an XML parser (a block put's 1.4 MB of base64 cost a SAX pass, a copy per character
     * and the MIME decoder); null for any other body, which the caller then parses as the general
     * XML-RPC it may well be. Only the layout is recognized here: the values are checked by the
     * service as always.
     */
    static Parsed parse(byte[] body) {
        Cursor c = new Cursor(body);
        if (!c.skip(PROLOG) || !c.skip("<methodCall><methodName>")) {
            return null;
        }
        String name = c.textUntil('<');
        if (name == null || !c.skip("</methodName><params>")) {
            return null;
        }
        java.util.List<Object> params = new java.util.ArrayList<>();
        while (c.skip("<param><value>")) {
            Object value;
            if (c.skip("<string>")) {
                value = c.textUntil('<');
                if (value == null || !c.skip("</string>")) {
                    return null;
                }
            } else if (c.skip("<i4>")) {
                String digits = c.textUntil('<');
                if (digits == null || !c.skip("</i4>")) {
                    return null;
                }
                try {
                    value = Integer.parseInt(digits);
                } catch (NumberFormatException e) {
                    return null;
                }
            } else if (c.skip("<base64>")) {
                int from = c.at;
                int to = c.indexOf((byte) '<');
                if (to < 0) {
                    return null;
                }
                try {
                    value = decode(Base64.getDecoder().decode(java.nio.ByteBuffer.wrap(body, from, to - from)));
                } catch (IllegalArgumentException e) {
                    return null;
                }
                c.at = to;
                if (!c.skip("</base64>")) {
                    return null;
                }
            } else {
                return null;
            }
            if (!c.skip("</value></param>")) {
                return null;
            }
            params.add(value);
        }
        if (!c.skip("</params></methodCall>") || !c.atEnd()) {
            return null;
        }
        return new Parsed(name, params.toArray());
    }

    private static byte[] decode(java.nio.ByteBuffer b) {
        return b.arrayOffset() == 0 && b.remaining() == b.array().length ? b.array()
                : Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(), b.arrayOffset() + b.limit());
    }

    /** A call read by {@link #parse}. */
    record Parsed(String methodName, Object[] params) {
    }

    private static final String PROLOG = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

    /** A position in a body, matching ASCII markup. */
    private static final class Cursor {
        private final byte[] b;
        private int at;

        Cursor(byte[] b) {
            this.b = b;
        }

        boolean skip(String ascii) {
            int n = ascii.length();
            if (at + n > b.length) {
                return false;
            }
            for (int i = 0; i < n; i++) {
                if (b[at + i] != ascii.charAt(i)) {
                    return false;
                }
            }
            at += n;
            return true;
        }

        int indexOf(byte x) {
            for (int i = at; i < b.length; i++) {
                if (b[i] == x) {
                    return i;
                }
            }
            return -1;
        }

        /** Text up to {@code end}, or null if there is none or it holds an entity reference. */
        String textUntil(char end) {
            int to = indexOf((byte) end);
            if (to < 0) {
                return null;
            }
            for (int i = at; i < to; i++) {
                if (b[i] == '&') {
                    return null;
                }
            }
            String s = new String(b, at, to - at, StandardCharsets.UTF_8);
            at = to;
            return s;
        }

        boolean atEnd() {
            while (at < b.length && (b[at] == ' ' || b[at] == '\n' || b[at] == '\r' || b[at] == '\t')) {
                at++;
            }
            return at == b.length;
        }
    }

    byte[] body() {
        return body;
    }

    private static void ascii(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static void text(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return methodName + " (" + body.length + " bytes)";
    }
}
