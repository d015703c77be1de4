package io.switchboard.tenancy;

import java.util.Optional;
import java.util.UUID;

import io.switchboard.common.SwitchboardException;

/**
 * Who is calling: the authenticated API key, its organisation and role. Every domain operation takes
 * one, and every query it runs is scoped by {@link #organizationId()}.
 *
 * @param platformOperator may create organisations and set Enterprise contract overrides
 * @param remoteAddress    where the request came from, for the record
 */
public record Principal(UUID organizationId, UUID apiKeyId, Role role, Optional<UUID> userId,
                        boolean platformOperator, String remoteAddress) {

    /**
     * The platform acting on an organisation's behalf (the dialer, a carrier's media stream): no API key,
     * {@code who} is what the audit trail shows as the remote address, e.g. {@code system:dialer}.
     */
    public static Principal system(UUID organizationId, Role role, String who) {
        return new Principal(organizationId, null, role, Optional.empty(), false, who);
    }

    /** Throws PERMISSION_DENIED unless this principal has at least {@code required}. */
    public void require(Role required, String action) {
        if (!role.atLeast(required)) {
            throw new SwitchboardException.PermissionDenied(
                    action + " needs role " + required.dbName() + " or higher; this key has " + role.dbName());
        }
    }

    public void requireOperator(String action) {
        if (!platformOperator) {
            throw new SwitchboardException.PermissionDenied(action + " needs a platform-operator key");
        }
    }
}
