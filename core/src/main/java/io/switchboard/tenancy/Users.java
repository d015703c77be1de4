package io.switchboard.tenancy;

import static io.switchboard.db.Tables.USERS;

import java.time.Instant;
import java.util.UUID;
import java.util.regex.Pattern;

import io.switchboard.common.Ids;
import io.switchboard.common.Violations;
import io.switchboard.db.enums.MemberRole;
import io.switchboard.db.tables.records.UsersRecord;
import org.jooq.DSLContext;

/** Row-level helpers for users shared by organisation creation and {@link UserService}. */
final class Users {

    private static final Pattern EMAIL = Pattern.compile("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");

    private Users() {
    }

    static void validateEmail(Violations v, String field, String email) {
        if (email == null || email.isBlank()) {
            v.add(field, "is required");
        } else if (email.length() > 320 || !EMAIL.matcher(email.trim()).matches()) {
            v.add(field, "is not an email address");
        }
    }

    static User insert(DSLContext tx, UUID orgId, String email, String displayName, Role role, Instant now) {
        UsersRecord r = tx.newRecord(USERS)
                .setId(Ids.newId()).setOrganizationId(orgId).setEmail(email).setDisplayName(displayName)
                .setRole(MemberRole.lookupLiteral(role.dbName())).setCreatedAt(now).setUpdatedAt(now);
        r.store();
        return toDomain(r);
    }

    static User toDomain(UsersRecord r) {
        return new User(r.getId(), r.getOrganizationId(), r.getEmail(), r.getDisplayName(),
                Role.fromDb(r.getRole().getLiteral()), r.getCreatedAt(), r.getUpdatedAt());
    }
}
