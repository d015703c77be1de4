package io.switchboard.common;

import java.time.Duration;
import java.util.List;

/**
 * The domain's small set of failures. Each maps to exactly one gRPC status at the edge (see the
 * server's {@code ErrorMapping}); core code throws these and never a transport type.
 */
public abstract sealed class SwitchboardException extends RuntimeException {

    protected SwitchboardException(String message) {
        super(message, null, false, false);
    }

    /** A field-level problem with the request. */
    public record Violation(String field, String reason) {
        @Override
        public String toString() {
            return field + ": " + reason;
        }
    }

    public static final class InvalidArgument extends SwitchboardException {
        private final List<Violation> violations;

        public InvalidArgument(String field, String reason) {
            this(List.of(new Violation(field, reason)));
        }

        public InvalidArgument(List<Violation> violations) {
            super(String.join("; ", violations.stream().map(Violation::toString).toList()));
            if (violations.isEmpty()) {
                throw new IllegalArgumentException("an InvalidArgument needs at least one violation");
            }
            this.violations = List.copyOf(violations);
        }

        public List<Violation> violations() {
            return violations;
        }
    }

    public static final class NotFound extends SwitchboardException {
        private final String resourceType;
        private final String resourceName;

        public NotFound(String resourceType, String resourceName) {
            super(resourceType + " " + resourceName + " not found");
            this.resourceType = resourceType;
            this.resourceName = resourceName;
        }

        public String resourceType() {
            return resourceType;
        }

        public String resourceName() {
            return resourceName;
        }
    }

    public static final class AlreadyExists extends SwitchboardException {
        private final String field;

        public AlreadyExists(String message) {
            this("", message);
        }

        /** @param field the request field whose value collides (e.g. {@code request_id}), or {@code ""} */
        public AlreadyExists(String field, String message) {
            super(message);
            this.field = field;
        }

        /** The colliding request field, or {@code ""} when no single field is to blame. */
        public String field() {
            return field;
        }
    }

    public static final class FailedPrecondition extends SwitchboardException {
        private final String type;

        /** @param type a short machine-readable reason, e.g. "CAMPAIGN_STATE" */
        public FailedPrecondition(String type, String message) {
            super(message);
            this.type = type;
        }

        public String type() {
            return type;
        }
    }

    /** Optimistic-concurrency conflicts: the caller should re-read and retry. */
    public static final class Aborted extends SwitchboardException {
        public Aborted(String message) {
            super(message);
        }
    }

    public static final class PermissionDenied extends SwitchboardException {
        public PermissionDenied(String message) {
            super(message);
        }
    }

    /** A dependency (the object store, the database) is down; the caller may retry after {@code retryAfter}. */
    public static final class Unavailable extends SwitchboardException {
        private final java.time.Duration retryAfter;

        public Unavailable(String message, java.time.Duration retryAfter) {
            super(message);
            this.retryAfter = retryAfter;
        }

        public java.time.Duration retryAfter() {
            return retryAfter;
        }
    }

    public static final class Unauthenticated extends SwitchboardException {
        public Unauthenticated(String message) {
            super(message);
        }
    }

    /** A quota or rate limit. {@code retryAfter} is empty for quotas that time does not lift. */
    public static final class ResourceExhausted extends SwitchboardException {
        private final String subject;
        private final Duration retryAfter;

        public ResourceExhausted(String subject, String message, Duration retryAfter) {
            super(message);
            this.subject = subject;
            this.retryAfter = retryAfter;
        }

        public ResourceExhausted(String subject, String message) {
            this(subject, message, null);
        }

        public String subject() {
            return subject;
        }

        public java.util.Optional<Duration> retryAfter() {
            return java.util.Optional.ofNullable(retryAfter);
        }
    }
}
