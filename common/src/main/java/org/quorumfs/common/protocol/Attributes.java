package org.quorumfs.common.protocol;

import java.util.HashMap;
import java.util.Map;

/**
 * An inode's attributes as the meta-server keeps them. Times are nanoseconds since the epoch.
 * For a symlink, {@code size} is the length of its target in bytes; {@code rdev} is the device
 * number of a character or block device (Linux's encoding, as st_rdev), else 0. An inode with
 * {@code nlink} 0 is one that was unlinked while open: it lives until its last close.
 */
public record Attributes(long ino, int mode, int nlink, int uid, int gid, long size,
                         long atimeNs, long mtimeNs, long ctimeNs, long rdev) {

    public Attributes {
        if (ino <= 0) {
            throw new IllegalArgumentException("ino must be positive: " + ino);
        }
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size);
        }
    }

    public FileType type() {
        return FileType.of(mode);
    }

    public boolean isDirectory() {
        return (mode & FileType.TYPE_MASK) == FileType.DIRECTORY.bits();
    }

    public Map<String, Object> toWire() {
        Map<String, Object> m = new HashMap<>();
        m.put("ino", Wire.ofLong(ino));
        m.put("mode", mode);
        m.put("nlink", nlink);
        m.put("uid", uid);
        m.put("gid", gid);
        m.put("size", Wire.ofLong(size));
        m.put("atime", Wire.ofLong(atimeNs));
        m.put("mtime", Wire.ofLong(mtimeNs));
        m.put("ctime", Wire.ofLong(ctimeNs));
        m.put("rdev", Wire.ofLong(rdev));
        return m;
    }

    public static Attributes fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "attributes");
        return new Attributes(
                Wire.positiveLong(Wire.member(m, "ino"), "ino"),
                Wire.toInt(Wire.member(m, "mode"), "mode"),
                Wire.toInt(Wire.member(m, "nlink"), "nlink"),
                Wire.toInt(Wire.member(m, "uid"), "uid"),
                Wire.toInt(Wire.member(m, "gid"), "gid"),
                Wire.nonNegativeLong(Wire.member(m, "size"), "size"),
                Wire.toLong(Wire.member(m, "atime"), "atime"),
                Wire.toLong(Wire.member(m, "mtime"), "mtime"),
                Wire.toLong(Wire.member(m, "ctime"), "ctime"),
                Wire.toLong(Wire.member(m, "rdev"), "rdev"));
    }
}
