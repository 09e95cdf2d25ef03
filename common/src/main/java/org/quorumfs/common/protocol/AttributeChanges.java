package org.quorumfs.common.protocol;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The attributes a setattr call changes; absent members stay as they are. Size changes go through
 * {@link MetaService#truncate}, because shrinking may rewrite a block.
 */
public record AttributeChanges(OptionalInt mode, OptionalInt uid, OptionalInt gid,
                               OptionalLong atimeNs, OptionalLong mtimeNs) {

    public static AttributeChanges none() {
        return new AttributeChanges(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
                OptionalLong.empty(), OptionalLong.empty());
    }

    public AttributeChanges withMode(int m) {
        return new AttributeChanges(OptionalInt.of(m), uid, gid, atimeNs, mtimeNs);
    }

    public AttributeChanges withOwner(int u, int g) {
        return new AttributeChanges(mode, u == -1 ? uid : OptionalInt.of(u), g == -1 ? gid : OptionalInt.of(g),
                atimeNs, mtimeNs);
    }

    public AttributeChanges withTimes(OptionalLong atime, OptionalLong mtime) {
        return new AttributeChanges(mode, uid, gid, atime, mtime);
    }

    public Map<String, Object> toWire() {
        Map<String, Object> m = new HashMap<>();
        mode.ifPresent(v -> m.put("mode", v));
        uid.ifPresent(v -> m.put("uid", v));
        gid.ifPresent(v -> m.put("gid", v));
        atimeNs.ifPresent(v -> m.put("atime", Wire.ofLong(v)));
        mtimeNs.ifPresent(v -> m.put("mtime", Wire.ofLong(v)));
        return m;
    }

    public static AttributeChanges fromWire(Object value) {
        Map<String, Object> m = Wire.toStruct(value, "changes");
        return new AttributeChanges(
                m.containsKey("mode") ? OptionalInt.of(Wire.toInt(m.get("mode"), "mode")) : OptionalInt.empty(),
                m.containsKey("uid") ? OptionalInt.of(Wire.toInt(m.get("uid"), "uid")) : OptionalInt.empty(),
                m.containsKey("gid") ? OptionalInt.of(Wire.toInt(m.get("gid"), "gid")) : OptionalInt.empty(),
                m.containsKey("atime") ? OptionalLong.of(Wire.toLong(m.get("atime"), "atime")) : OptionalLong.empty(),
                m.containsKey("mtime") ? OptionalLong.of(Wire.toLong(m.get("mtime"), "mtime")) : OptionalLong.empty());
    }
}
