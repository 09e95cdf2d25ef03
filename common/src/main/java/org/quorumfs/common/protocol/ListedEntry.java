package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * One entry of a directory listing with the attributes of what it names
 * ({@link MetaService#readdirPlus}): on the wire, the attributes' members plus {@code name}, and
 * for a regular file of at most {@link #SMALL_FILE_BYTES} bytes its one block's record as
 * {@code firstBlock} (null when there is none), so that a client can begin reading a small file
 * while its open is still on the way.
 */
public record ListedEntry(String name, Attributes attributes, BlockRecord firstBlock) {
    /** Files up to one piece: reading one ahead of its open moves no more than a first read would. */
    public static final int SMALL_FILE_BYTES = Limits.PIECE_SIZE;

    public ListedEntry(String name, Attributes attributes) {
        this(name, attributes, null);
    }

    public Map<String, Object> toWire() {
        Map<String, Object> m = attributes.toWire();
        m.put("name", name);
        if (firstBlock != null) {
            m.put("firstBlock", firstBlock.toWire());
        }
        return m;
    }

    public static ListedEntry fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "entry");
        Object block = m.get("firstBlock");
        return new ListedEntry(Wire.toStr(Wire.member(m, "name"), "name"), Attributes.fromWire(m),
                block == null ? null : BlockRecord.fromWire(block));
    }
}
