package org.quorumfs.common.rpc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A position in an XML-RPC body of the plain layout our own writers produce, read byte by byte:
 * ASCII markup with no white space between elements, text with no entity references, base64 with
 * no line breaks. Anything else is {@link NotPlain}, and the caller hands the whole body to the
 * library's XML parser. Shared by {@link EncodedCall#parse} (requests) and
 * {@link PlainResponseReader} (responses).
 */
final class PlainXml {
    /** The body leaves the plain layout; thrown without a stack trace. */
    static final class NotPlain extends Exception {
        NotPlain() {
            super(null, null, false, false);
        }
    }

    private static final VarHandle WORDS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long EVERY_LT = 0x3c3c3c3c3c3c3c3cL;
    private static final long EVERY_ONE = 0x0101010101010101L;
    private static final long EVERY_HIGH = 0x8080808080808080L;

    /** Deeper than any value of the protocol nests. */
    private static final int MAX_DEPTH = 16;

    private static final byte[] DECODED_ELSEWHERE = new byte[0];

    private final byte[] b;
    /** Where a base64 value is decoded, or null: into an array of its own. */
    private final Base64Target target;
    private int at;

    PlainXml(byte[] body) {
        this(body, null);
    }

    PlainXml(byte[] body, Base64Target target) {
        this.b = body;
        this.target = target;
    }

    /** Skips an XML declaration, if there is one. */
    void skipDeclaration() throws NotPlain {
        if (skip("<?xml")) {
            at = indexOf("?>") + 2;
        }
    }

    boolean startsWith(String ascii) {
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

    boolean skip(String ascii) {
        if (startsWith(ascii)) {
            at += ascii.length();
            return true;
        }
        return false;
    }

    void expect(String ascii) throws NotPlain {
        if (!skip(ascii)) {
            throw new NotPlain();
        }
    }

    /** Text up to the next tag. */
    String text() throws NotPlain {
        int end = nextTag();
        for (int i = at; i < end; i++) {
            if (b[i] == '&' || b[i] == '\r') { // an XML parser resolves the one and folds the other into \n
                throw new NotPlain();
            }
        }
        String s = new String(b, at, end - at, StandardCharsets.UTF_8);
        at = end;
        return s;
    }

    int integer() throws NotPlain {
        try {
            return Integer.parseInt(text());
        } catch (NumberFormatException e) {
            throw new NotPlain();
        }
    }

    /**
     * Base64 text up to the next tag, decoded into an array of its own ({@link Base64Bulk}: standard,
     * padded, no line breaks; other text, which the JDK's decoder may take, is the library's); or,
     * with a target, decoded into it and an empty array in its place.
     */
    byte[] base64() throws NotPlain {
        int end = nextTag();
        if (target != null) {
            if (!target.decode(b, at, end)) {
                throw new NotPlain();
            }
            at = end;
            return DECODED_ELSEWHERE;
        }
        int length = Base64Bulk.decodedLength(b, at, end);
        if (length < 0) {
            throw new NotPlain();
        }
        byte[] data = new byte[length];
        if (Base64Bulk.decode(b, at, end, data, 0) < 0) {
            throw new NotPlain();
        }
        at = end;
        return data;
    }

    /** Only white space is left. */
    void expectEnd() throws NotPlain {
        while (at < b.length && Character.isWhitespace(b[at])) {
            at++;
        }
        if (at != b.length) {
            throw new NotPlain();
        }
    }

    /** The bytes of a decoder's buffer, without a copy when the buffer is exactly its array. */
    static byte[] exactArray(ByteBuffer d) {
        return d.arrayOffset() == 0 && d.position() == 0 && d.remaining() == d.array().length ? d.array()
                : Arrays.copyOfRange(d.array(), d.arrayOffset() + d.position(), d.arrayOffset() + d.limit());
    }

    /**
     * Where the next '<' is. Eight bytes at a time: the scan ran over each block's 1.4 MB of base64
     * byte by byte, a quarter of a read's parsing. A word holds a '<' exactly when its XOR with
     * eight '<' holds a zero byte, which the classic test below detects without a false answer.
     */
    private int nextTag() throws NotPlain {
        byte[] bytes = b;
        int i = at;
        for (; i + Long.BYTES <= bytes.length; i += Long.BYTES) {
            long x = (long) WORDS.get(bytes, i) ^ EVERY_LT;
            if (((x - EVERY_ONE) & ~x & EVERY_HIGH) != 0) {
                break;
            }
        }
        for (; i < bytes.length; i++) {
            if (bytes[i] == '<') {
                return i;
            }
        }
        throw new NotPlain();
    }

    private int indexOf(String ascii) throws NotPlain {
        for (int i = at; i + ascii.length() <= b.length; i++) {
            if (b[i] == ascii.charAt(0)) {
                int saved = at;
                at = i;
                boolean found = startsWith(ascii);
                at = saved;
                if (found) {
                    return i;
                }
            }
        }
        throw new NotPlain();
    }

    /**
     * A {@code <value>} of the types the protocol uses (struct, array, string, i4/int, boolean,
     * base64, untyped text), built as the library's parser builds them (HashMap, Object[],
     * Integer, Boolean, String, byte[]).
     */
    Object value() throws NotPlain {
        return value(0);
    }

    private Object value(int depth) throws NotPlain {
        if (depth > MAX_DEPTH) {
            throw new NotPlain(); // a hostile nesting is the library parser's to refuse, not our stack's
        }
        expect("<value>");
        Object v;
        if (skip("<string>")) {
            v = text();
            expect("</string>");
        } else if (skip("<i4>")) {
            v = integer();
            expect("</i4>");
        } else if (skip("<int>")) {
            v = integer();
            expect("</int>");
        } else if (skip("<boolean>")) {
            String t = text();
            if (!t.equals("0") && !t.equals("1")) {
                throw new NotPlain();
            }
            v = t.equals("1");
            expect("</boolean>");
        } else if (skip("<base64>")) {
            v = base64();
            expect("</base64>");
        } else if (skip("<struct>")) {
            Map<String, Object> m = new HashMap<>();
            while (skip("<member><name>")) {
                String name = text();
                expect("</name>");
                m.put(name, value(depth + 1));
                expect("</member>");
            }
            expect("</struct>");
            v = m;
        } else if (skip("<array><data/></array>")) {
            v = new Object[0];
        } else if (skip("<array><data>")) {
            List<Object> l = new ArrayList<>();
            while (startsWith("<value>")) {
                l.add(value(depth + 1));
            }
            expect("</data></array>");
            v = l.toArray();
        } else if (startsWith("<")) {
            if (!startsWith("</value>")) {
                throw new NotPlain();
            }
            v = "";
        } else {
            v = text(); // an untyped value is a string
        }
        expect("</value>");
        return v;
    }
}
