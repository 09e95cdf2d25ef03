package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * What a create, mknod, mkdir, symlink or link made: the (new) inode's attributes, and its parent
 * directory's after the change (new mtime and ctime, a mkdir's nlink), so that a client answers
 * the kernel's next question about the directory without asking. On the wire, the new inode's
 * attributes struct with one more member, {@code parent}: a client reading only attributes reads
 * it as before.
 */
public record NewEntry(Attributes attributes, Attributes parent) {
    public Map<String, Object> toWire() {
        Map<String, Object> m = attributes.toWire();
        m.put("parent", parent.toWire());
        return m;
    }

    public static NewEntry fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "new entry");
        return new NewEntry(Attributes.fromWire(m), Attributes.fromWire(Wire.member(m, "parent")));
    }
}
