package org.quorumfs.common.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The one codec between Java values and standard XML-RPC values. Without extensions the wire has
 * no 64-bit integer, so every {@code long} (inode, version, size, time) travels as a decimal
 * string. Every decoder validates and fails with {@link ErrorCode#INVALID_ARGUMENT} naming the field:
 * nothing a peer sends can make a server throw anything else.
 */
public final class Wire {
    private Wire() {
    }

    public static String ofLong(long value) {
        return Long.toString(value);
    }

    /** Parses a decimal long sent as a string (or, leniently, as an int). */
    public static long toLong(Object value, String field) {
        if (value instanceof Integer i) {
            return i;
        }
        if (value instanceof String s && !s.isEmpty() && s.length() <= 20) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw FsException.invalid(field + " must be a decimal 64-bit integer, got " + describe(value));
    }

    public static long nonNegativeLong(Object value, String field) {
        long v = toLong(value, field);
        if (v < 0) {
            throw FsException.invalid(field + " must not be negative, got " + v);
        }
        return v;
    }

    public static long positiveLong(Object value, String field) {
        long v = toLong(value, field);
        if (v <= 0) {
            throw FsException.invalid(field + " must be positive, got " + v);
        }
        return v;
    }

    public static int toInt(Object value, String field) {
        if (value instanceof Integer i) {
            return i;
        }
        throw FsException.invalid(field + " must be an int, got " + describe(value));
    }

    public static int nonNegativeInt(Object value, String field) {
        int v = toInt(value, field);
        if (v < 0) {
            throw FsException.invalid(field + " must not be negative, got " + v);
        }
        return v;
    }

    public static boolean toBoolean(Object value, String field) {
        if (value instanceof Boolean b) {
            return b;
        }
        throw FsException.invalid(field + " must be a boolean, got " + describe(value));
    }

    public static String toStr(Object value, String field) {
        if (value instanceof String s) {
            return s;
        }
        throw FsException.invalid(field + " must be a string, got " + describe(value));
    }

    public static byte[] toBytes(Object value, String field) {
        if (value instanceof byte[] b) {
            return b;
        }
        throw FsException.invalid(field + " must be base64 bytes, got " + describe(value));
    }

    public static Object[] toArray(Object value, String field) {
        if (value instanceof Object[] a) {
            return a;
        }
        throw FsException.invalid(field + " must be an array, got " + describe(value));
    }

    /** An array whose every element {@code element} reads (it throws for a malformed one). */
    public static <T> List<T> toList(Object value, String field, Function<Object, T> element) {
        Object[] array = toArray(value, field);
        List<T> out = new ArrayList<>(array.length);
        for (Object o : array) {
            out.add(element.apply(o));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> toStruct(Object value, String field) {
        if (value instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw FsException.invalid(field + " must be a struct, got " + describe(value));
    }

    /** A member of a struct that must be present. */
    public static Object member(Map<String, Object> struct, String key) {
        Object v = struct.get(key);
        if (v == null) {
            throw FsException.invalid("missing member '" + key + "'");
        }
        return v;
    }

    /**
     * Validates a directory entry name: non-empty, not "." or "..", no '/' or NUL, at most
     * {@link Limits#MAX_NAME_BYTES} bytes of UTF-8.
     */
    public static String name(Object value) {
        String name = toStr(value, "name");
        if (name.isEmpty() || name.equals(".") || name.equals("..")
                || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw FsException.invalid("invalid name '" + name + "'");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > Limits.MAX_NAME_BYTES) {
            throw new FsException(ErrorCode.NAME_TOO_LONG,
                    "name longer than " + Limits.MAX_NAME_BYTES + " bytes");
        }
        return name;
    }

    /** A data server's id as recorded for missed replicas: "host:port", no spaces. */
    public static String server(Object value) {
        String server = toStr(value, "server");
        if (server.isEmpty() || server.length() > 300 || server.indexOf(' ') >= 0) {
            throw FsException.invalid("server must be host:port, got '" + server + "'");
        }
        return server;
    }

    /** An array of {@link #server} ids. */
    public static List<String> servers(Object value) {
        return toList(value, "servers", Wire::server);
    }

    private static String describe(Object value) {
        if (value == null) {
            return "nothing";
        }
        String s = String.valueOf(value);
        return value.getClass().getSimpleName() + " '" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'";
    }
}
