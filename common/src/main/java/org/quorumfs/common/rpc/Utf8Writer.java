package org.quorumfs.common.rpc;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;

/**
 * A writer that encodes UTF-8 straight into an output stream through a small buffer. The
 * library's XML writer wrapped its stream per call in a {@code BufferedWriter} (a 16 KiB char
 * array) over an {@code OutputStreamWriter} (an 8 KiB byte buffer): 38 % of all the bytes a
 * client allocated while creating, stat'ing, reading and deleting small files, for requests of a
 * few hundred bytes. An unpaired surrogate is written as '?', as the JDK's encoder does.
 */
final class Utf8Writer extends Writer {
    private final OutputStream out;
    private final byte[] buf = new byte[512];
    private int n;
    /** A high surrogate whose low half may come in the next write, or -1. */
    private int high = -1;

    Utf8Writer(OutputStream out) {
        this.out = out;
    }

    @Override
    public void write(int c) throws IOException {
        put((char) c);
    }

    @Override
    public void write(char[] chars, int off, int len) throws IOException {
        for (int i = off, end = off + len; i < end; i++) {
            put(chars[i]);
        }
    }

    @Override
    public void write(String s, int off, int len) throws IOException {
        for (int i = off, end = off + len; i < end; i++) {
            put(s.charAt(i));
        }
    }

    private void put(char c) throws IOException {
        if (n > buf.length - 4) {
            drain();
        }
        if (c < 0x80 && high < 0) {
            buf[n++] = (byte) c;
            return;
        }
        if (high >= 0) {
            int h = high;
            high = -1;
            if (Character.isLowSurrogate(c)) {
                int cp = Character.toCodePoint((char) h, c);
                buf[n++] = (byte) (0xf0 | cp >> 18);
                buf[n++] = (byte) (0x80 | cp >> 12 & 0x3f);
                buf[n++] = (byte) (0x80 | cp >> 6 & 0x3f);
                buf[n++] = (byte) (0x80 | cp & 0x3f);
                return;
            }
            buf[n++] = '?';
            put(c);
        } else if (c < 0x800) {
            buf[n++] = (byte) (0xc0 | c >> 6);
            buf[n++] = (byte) (0x80 | c & 0x3f);
        } else if (Character.isHighSurrogate(c)) {
            high = c;
        } else if (Character.isLowSurrogate(c)) {
            buf[n++] = '?';
        } else {
            buf[n++] = (byte) (0xe0 | c >> 12);
            buf[n++] = (byte) (0x80 | c >> 6 & 0x3f);
            buf[n++] = (byte) (0x80 | c & 0x3f);
        }
    }

    private void drain() throws IOException {
        out.write(buf, 0, n);
        n = 0;
    }

    @Override
    public void flush() throws IOException {
        drain();
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (high >= 0) {
            high = -1;
            buf[n++] = '?';
        }
        flush();
        out.close();
    }
}
