package io.switchboard.common;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** A validated field mask: the set of paths an update touches, each one known to the resource. */
public record UpdateMask(Set<String> paths) {

    public static UpdateMask of(List<String> paths, Collection<String> allowed) {
        if (paths.isEmpty()) {
            throw new SwitchboardException.InvalidArgument("update_mask",
                    "must list the fields to update; allowed: " + String.join(", ", allowed));
        }
        Set<String> set = new LinkedHashSet<>();
        Violations v = new Violations();
        for (String p : paths) {
            if (!allowed.contains(p)) {
                v.add("update_mask", "unknown or read-only field '" + p + "'; allowed: " + String.join(", ", allowed));
            }
            set.add(p);
        }
        v.throwIfAny();
        return new UpdateMask(Set.copyOf(set));
    }

    public boolean has(String path) {
        return paths.contains(path);
    }
}
