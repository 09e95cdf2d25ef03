package org.quorumfs.common.protocol;

import java.util.Map;

/**
 * One entry of a directory listing with the attributes of what it names
 * ({@link MetaService#readdirPlus}): on the wire, the attributes' members plus {@code name}.
 */
public record ListedEntry(String name, Attributes attributes) {

    public Map<String, Object> toWire() {
        Map<String, Object> m = attributes.toWire();
        m.put("name", name);
        return m;
    }

    public static ListedEntry fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "entry");
        return new ListedEntry(Wire.toStr(Wire.member(m, "name"), "name"), Attributes.fromWire(m));
    }
}
