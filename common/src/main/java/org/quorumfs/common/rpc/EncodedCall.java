package org.quorumfs.common.rpc;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A standard XML-RPC {@code methodCall} body serialized once, to be sent unchanged to several
 * servers ({@link RpcClient#send}): a block put to N replicas is encoded once, not N times, which
 * profiled at two thirds of the client's CPU in a sequential write. Parameters may be strings,
 * ints and byte arrays (base64) — the types the data path uses.
 */
public final class EncodedCall {
    /** How long one proof of a body is reused: well inside {@link ClusterKey#WINDOW}. */
    private static final long PROOF_REUSE_MILLIS = 60_000;

    private final String methodName;
    private final byte[] body;
    /** Where the answer's base64 value goes, or null: an array of its own. */
    private final Base64Target target;
    private volatile Proof proof;
    /** Whether the body went back to {@link LargeArrays}: one flag for the calls sharing it. */
    private final AtomicBoolean released;

    private record Proof(ClusterKey key, long timeMillis, String header) {
    }

    private EncodedCall(String methodName, byte[] body, Base64Target target, AtomicBoolean released) {
        this.methodName = methodName;
        this.body = body;
        this.target = target;
        this.released = released;
    }

    /** This call, its answer's base64 value decoded into {@code target} (see {@link Base64Target}). */
    public EncodedCall decodingInto(Base64Target target) {
        return new EncodedCall(methodName, body, target, released);
    }

    Base64Target target() {
        return target;
    }

    /**
     * Gives this call's body back for a later call's (see {@link LargeArrays}): the caller
     * promises that no send of this call or of one {@link #decodingInto} made of it is running
     * or will run. Only the first release of the body counts.
     */
    public void release() {
        if (released.compareAndSet(false, true)) {
            LargeArrays.give(body);
        }
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
        // The body's parts: markup as bytes, each byte[] parameter as itself, so that the body's
        // exact length is known before it is written. A block put is then one allocation with its
        // base64 written straight into it; it was three of 1.4 MB (the encoder's output, the
        // buffer it was copied into, the copy toByteArray made), each a humongous object to G1.
        List<Object> parts = new ArrayList<>();
        StringBuilder markup = new StringBuilder(PROLOG).append("<methodCall><methodName>").append(escaped(name))
                .append("</methodName><params>");
        for (Object p : params) {
            markup.append("<param><value>");
            if (p instanceof String s) {
                markup.append("<string>").append(escaped(s)).append("</string>");
            } else if (p instanceof Integer i) {
                markup.append("<i4>").append(i).append("</i4>");
            } else if (p instanceof byte[] b) {
                parts.add(markup.append("<base64>").toString().getBytes(StandardCharsets.UTF_8));
                parts.add(new Base64Of(b));
                markup.setLength(0);
                markup.append("</base64>");
            } else {
                throw new IllegalArgumentException("cannot encode a parameter of " + p.getClass());
            }
            markup.append("</value></param>");
        }
        parts.add(markup.append("</params></methodCall>").toString().getBytes(StandardCharsets.UTF_8));
        int length = 0;
        for (Object part : parts) {
            length = Math.addExact(length, part instanceof byte[] bytes ? bytes.length : ((Base64Of) part).length());
        }
        Filling body = new Filling(LargeArrays.take(length));
        for (Object part : parts) {
            if (part instanceof byte[] bytes) {
                body.write(bytes, 0, bytes.length);
            } else {
                body.base64(((Base64Of) part).data());
            }
        }
        return new EncodedCall(name, body.filled(), null, new AtomicBoolean());
    }

    /** A byte[] parameter, written as base64. */
    private record Base64Of(byte[] data) {
        int length() {
            return Math.multiplyExact((data.length + 2) / 3, 4);
        }
    }

    /** Writes into an array of the exact length of what is written. */
    private static final class Filling {
        private final byte[] out;
        private int at;

        Filling(byte[] out) {
            this.out = out;
        }

        void write(byte[] b, int off, int len) {
            System.arraycopy(b, off, out, at, len);
            at += len;
        }

        void base64(byte[] data) {
            at = Base64Bulk.encode(data, 0, data.length, out, at);
        }

        byte[] filled() {
            if (at != out.length) {
                throw new IllegalStateException("body of " + out.length + " bytes filled to " + at);
            }
            return out;
        }
    }

    String methodName() {
        return methodName;
    }

    /**
     * The method name and parameters of a body in the plain layout ({@link PlainXml}): as
     * {@link #of} writes it, and as the library's writer writes our clients' other calls. Read
     * without an XML parser: a block put's 1.4 MB of base64 cost a SAX pass, a copy per character
     * and the MIME decoder, and a small call the set-up of a parser. Null for any other body,
     * which the caller then parses as the general XML-RPC it may well be. Only the layout is recognized here: the values are checked by the
     * service as always.
     */
    static Parsed parse(byte[] body) {
        PlainXml x = new PlainXml(body);
        try {
            // Text is read as UTF-8: a body declaring another encoding is the XML parser's.
            if (!x.skip(PROLOG)) {
                x.skip("<?xml version=\"1.0\"?>");
            }
            x.expect("<methodCall><methodName>");
            String name = x.text();
            x.expect("</methodName>");
            List<Object> params = new ArrayList<>();
            if (!x.skip("<params/>")) {
                x.expect("<params>");
                while (x.skip("<param>")) {
                    params.add(x.value());
                    x.expect("</param>");
                }
                x.expect("</params>");
            }
            x.expect("</methodCall>");
            x.expectEnd();
            return new Parsed(name, params.toArray());
        } catch (PlainXml.NotPlain e) {
            return null;
        }
    }

    /** A call read by {@link #parse}. */
    record Parsed(String methodName, Object[] params) {
    }

    private static final String PROLOG = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

    byte[] body() {
        if (released.get()) {
            throw new IllegalStateException(this + " sent after its body was released");
        }
        return body;
    }

    private static String escaped(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    @Override
    public String toString() {
        return methodName + " (" + body.length + " bytes)";
    }

    /**
     * The Authorization header proving {@code key} for this body. Made once for all the servers
     * the body goes to (an HMAC over a 1.4 MB put body per replica cost 14 % of a sequential
     * write), and again after a minute: resending the same bytes to the same server within the
     * replay window was possible anyway, and a put is idempotent. The N threads that send a put
     * ask at the same moment: one makes the proof while the others wait for it (without the lock
     * each made its own, and the client hashed every put body N times).
     */
    String authorization(ClusterKey key, long nowMillis) {
        Proof p = proof;
        if (stale(p, key, nowMillis)) {
            synchronized (this) {
                p = proof;
                if (stale(p, key, nowMillis)) {
                    p = new Proof(key, nowMillis, key.authorization(nowMillis, body));
                    proof = p;
                }
            }
        }
        return p.header();
    }

    private static boolean stale(Proof p, ClusterKey key, long nowMillis) {
        return p == null || p.key() != key || nowMillis - p.timeMillis() > PROOF_REUSE_MILLIS;
    }

}
