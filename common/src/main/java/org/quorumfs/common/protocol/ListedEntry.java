package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * One entry of a directory listing with the attributes of what it names
 * ({@link MetaService#readdirPlus}), and for a regular file of at most {@link #SMALL_FILE_BYTES}
 * bytes its one block's record (null when there is none), so that a client can begin reading a
 * small file while its open is still on the way. On the wire an entry is an array, its values by
 * position (a listing of many entries would otherwise repeat every member's name in each): name,
 * ino, mode, nlink, uid, gid, size, atime, mtime, ctime, rdev, then for a small file its block as
 * index, version, length, md5, pieces. Longs are decimal strings, as everywhere. A struct with
 * {@code name}, the attributes' members and {@code firstBlock}, as meta-servers before 2026-12-07
 * answered, is read too.
 */
public record ListedEntry(String name, Attributes attributes, BlockRecord firstBlock) {
    /** Files up to one piece: reading one ahead of its open moves no more than a first read would. */
    public static final int SMALL_FILE_BYTES = Limits.PIECE_SIZE;

    public ListedEntry(String name, Attributes attributes) {
        this(name, attributes, null);
    }

    private static final int ATTRIBUTES = 11;
    private static final int WITH_BLOCK = ATTRIBUTES + 5;

    public Object[] toWire() {
        Object[] row = new Object[firstBlock == null ? ATTRIBUTES : WITH_BLOCK];
        row[0] = name;
        row[1] = Wire.ofLong(attributes.ino());
        row[2] = attributes.mode();
        row[3] = attributes.nlink();
        row[4] = attributes.uid();
        row[5] = attributes.gid();
        row[6] = Wire.ofLong(attributes.size());
        row[7] = Wire.ofLong(attributes.atimeNs());
        row[8] = Wire.ofLong(attributes.mtimeNs());
        row[9] = Wire.ofLong(attributes.ctimeNs());
        row[10] = Wire.ofLong(attributes.rdev());
        if (firstBlock != null) {
            row[11] = firstBlock.index();
            row[12] = Wire.ofLong(firstBlock.version());
            row[13] = firstBlock.length();
            row[14] = firstBlock.md5();
            row[15] = firstBlock.pieces();
        }
        return row;
    }

    public static ListedEntry fromWire(Object value) {
        if (value instanceof Map) {
            return fromStruct(Wire.toStruct(value, "entry"));
        }
        Object[] row = Wire.toArray(value, "entry");
        if (row.length != ATTRIBUTES && row.length != WITH_BLOCK) {
            throw FsException.invalid("a listed entry has " + ATTRIBUTES + " or " + WITH_BLOCK + " values, not " + row.length);
        }
        Attributes a = new Attributes(
                Wire.positiveLong(row[1], "ino"),
                Wire.toInt(row[2], "mode"),
                Wire.toInt(row[3], "nlink"),
                Wire.toInt(row[4], "uid"),
                Wire.toInt(row[5], "gid"),
                Wire.nonNegativeLong(row[6], "size"),
                Wire.toLong(row[7], "atime"),
                Wire.toLong(row[8], "mtime"),
                Wire.toLong(row[9], "ctime"),
                Wire.toLong(row[10], "rdev"));
        BlockRecord block = row.length == ATTRIBUTES ? null : new BlockRecord(Wire.nonNegativeInt(row[11], "index"),
                Wire.positiveLong(row[12], "version"), Wire.toInt(row[13], "length"), Wire.toStr(row[14], "md5"),
                Wire.toStr(row[15], "pieces"));
        return new ListedEntry(Wire.toStr(row[0], "name"), a, block);
    }

    private static ListedEntry fromStruct(Map<String, Object> m) {
        Object block = m.get("firstBlock");
        return new ListedEntry(Wire.toStr(Wire.member(m, "name"), "name"), Attributes.fromWire(m),
                block == null ? null : BlockRecord.fromWire(block));
    }
}
