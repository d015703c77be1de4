package io.switchboard.tenancy;

import java.util.Locale;

/** Roles in an organisation, most privileged first. A role includes every permission of the ones after it. */
public enum Role {
    OWNER, ADMIN, AGENT, VIEWER;

    public boolean atLeast(Role required) {
        return ordinal() <= required.ordinal();
    }

    public String dbName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role fromDb(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
