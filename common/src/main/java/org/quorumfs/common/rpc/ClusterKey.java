package org.quorumfs.common.rpc;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The cluster's shared secret, and the proof of it every RPC carries, as HTTP Basic credentials so
 * the wire stays standard XML-RPC over HTTP: the user {@code qfs-TIME-HEAD} and the password
 * {@code BODY}, where BODY is an HMAC-SHA256 over the request's time and its whole body and HEAD
 * one over its time and its length. A server with a key checks HEAD before it reads the body (a
 * stranger is refused before the server holds any memory for it) and BODY before it parses it; a
 * request without proof, with a wrong one, with a time outside {@link #WINDOW} of its own clock,
 * or altered in transit is refused.
 *
 * <p>The key comes from a file (at least 32 random bytes, as 64 or more hex digits) named by the
 * system property {@value #PROPERTY}; the scripts create {@code var/cluster.key} (mode 0600) and
 * pass it to every process.
 */
public final class ClusterKey {
    public static final String PROPERTY = "quorumfs.keyFile";
    /** How far a request's time may be from the server's clock (a replay older than this is refused). */
    public static final Duration WINDOW = Duration.ofMinutes(5);
    static final String USER_PREFIX = "qfs-";

    private final SecretKeySpec key;
    /** One initialized MAC per thread: a provider lookup and key setup per request showed in profiles. */
    private final ThreadLocal<Mac> macs;

    private ClusterKey(byte[] secret) {
        if (secret.length < 32) {
            throw new IllegalArgumentException("a cluster key must have at least 32 bytes (64 hex digits)");
        }
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    /** The key in {@code file}: hex digits (white space ignored). */
    public static ClusterKey read(Path file) throws IOException {
        String hex = Files.readString(file, StandardCharsets.US_ASCII).replaceAll("\\s", "");
        byte[] secret;
        try {
            secret = HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            throw new IOException("cluster key " + file + " is not hex digits: " + e.getMessage(), e);
        }
        return new ClusterKey(secret);
    }

    /** A key from its bytes (tests). */
    public static ClusterKey of(byte[] secret) {
        return new ClusterKey(secret.clone());
    }

    /** This process's key: the file {@value #PROPERTY} names, or none when it is not set. */
    public static Optional<ClusterKey> ofThisProcess() {
        String file = System.getProperty(PROPERTY, "");
        if (file.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(read(Path.of(file)));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot use the cluster key " + file + ": " + e.getMessage(), e);
        }
    }

    /** The proof for a request with {@code body} sent at {@code timeMillis}: lowercase hex. */
    public String proof(long timeMillis, byte[] body) {
        Mac mac = macs.get(); // doFinal leaves it reset for the next request
        mac.update(Long.toString(timeMillis).getBytes(StandardCharsets.US_ASCII));
        mac.update((byte) '\n');
        mac.update(body);
        return HexFormat.of().formatHex(mac.doFinal());
    }

    /**
     * The proof for a request of {@code length} bytes sent at {@code timeMillis}, checkable before
     * its body is read. Its input starts with a letter, a body proof's with a digit: the two
     * cannot be taken for each other.
     */
    String headProof(long timeMillis, long length) {
        Mac mac = macs.get();
        mac.update(("length\n" + timeMillis + "\n" + length).getBytes(StandardCharsets.US_ASCII));
        return HexFormat.of().formatHex(mac.doFinal());
    }

    /** The Basic credentials ({@code user:password}) proving this key for {@code body} sent at {@code timeMillis}. */
    public String credentials(long timeMillis, byte[] body) {
        return USER_PREFIX + timeMillis + "-" + headProof(timeMillis, body.length) + ":" + proof(timeMillis, body);
    }

    /** The Authorization header's value proving this key for {@code body} sent at {@code timeMillis}. */
    String authorization(long timeMillis, byte[] body) {
        return "Basic " + Base64.getEncoder().encodeToString(credentials(timeMillis, body).getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Why the Basic {@code user} does not prove this key for a request of {@code length} bytes
     * (-1: not stated, which a request with proof may not be) at {@code nowMillis}, or null when it does.
     */
    String headRefusal(String user, long length, long nowMillis) {
        if (user == null || !user.startsWith(USER_PREFIX)) {
            return "no proof of the cluster key";
        }
        long time = timeOf(user);
        if (time == Long.MIN_VALUE) {
            return "malformed proof";
        }
        if (Math.abs(nowMillis - time) > WINDOW.toMillis()) {
            return "request time outside the replay window";
        }
        if (length < 0) {
            return "no Content-Length: a request with proof must state its length";
        }
        byte[] expected = headProof(time, length).getBytes(StandardCharsets.US_ASCII);
        byte[] given = user.substring(user.indexOf('-', USER_PREFIX.length()) + 1).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given) ? null : "wrong proof (another key, or the request was altered)";
    }

    /**
     * Why {@code password} does not prove this key for {@code body}, sent with {@code user} whose
     * {@link #headRefusal} found nothing wrong, or null when it does.
     */
    String bodyRefusal(String user, String password, byte[] body) {
        byte[] expected = proof(timeOf(user), body).getBytes(StandardCharsets.US_ASCII);
        return password != null && MessageDigest.isEqual(expected, password.getBytes(StandardCharsets.US_ASCII)) ? null
                : "wrong proof (another key, or the request was altered)";
    }

    /** The time in a user name {@code qfs-TIME-HEAD}, or Long.MIN_VALUE when it has none. */
    private static long timeOf(String user) {
        int dash = user.indexOf('-', USER_PREFIX.length());
        if (dash < 0) {
            return Long.MIN_VALUE;
        }
        try {
            return Long.parseLong(user.substring(USER_PREFIX.length(), dash));
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }
}
