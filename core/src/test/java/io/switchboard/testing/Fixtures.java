package io.switchboard.testing;

import java.time.Clock;

import io.switchboard.ControlPlane;
import io.switchboard.calls.CallService;
import io.switchboard.calls.TranscriptStore;
import io.switchboard.audit.AuditEvent;
import io.switchboard.common.Configs;
import io.switchboard.encryption.ContentSeal;
import io.switchboard.plans.PlanCatalog;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.storage.ObjectStore;
import io.switchboard.tenancy.ApiKey;
import io.switchboard.tenancy.OrganizationService;
import io.switchboard.tenancy.Principal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fresh control plane over the shared test database, with the default plan catalog and an audit
 * sink that remembers what it was told. Call {@link #fresh(Clock)} from {@code @BeforeEach}.
 */
public final class Fixtures {

    /**
     * The plane's object store: nothing listens there, so a test that stores audio says where, through
     * {@link #calls(ObjectStore)} (and modules without the test S3 endpoint on their class path still work).
     */
    private static final ObjectStore NO_STORE = new ObjectStore("http://127.0.0.1:9", "x", "y", "us-east-1", "none");

    public final ControlPlane plane;
    public final List<AuditEvent> audited = new CopyOnWriteArrayList<>();
    /** The bootstrap organisation with its platform-operator owner key. */
    public final OrganizationService.Created operatorOrg;

    private Fixtures(Clock clock) {
        TestDatabase db = TestDatabase.get();
        db.reset();
        plane = ControlPlane.builder(db.database(), PlanCatalog.fromConfig(Configs.defaults()), NO_STORE)
                .clock(clock).alsoAuditTo(audited::add).build();
        operatorOrg = plane.organizations().bootstrap("Operator Org", "operator@example.com").orElseThrow();
    }

    public static Fixtures fresh(Clock clock) {
        return new Fixtures(clock);
    }

    public static Fixtures fresh() {
        return new Fixtures(Clock.systemUTC());
    }

    /** The call service over this control plane, its clock and audit trail, storing audio in {@code store}. */
    public CallService calls(ObjectStore store) {
        return calls(store, plane.contentSeal());
    }

    public CallService calls(ObjectStore store, ContentSeal seal) {
        var dsl = plane.database().dsl();
        return new CallService(dsl, plane.clock(), plane.plans(), plane.jobs(), new RecordingStore(store), plane.audit(),
                new TranscriptStore(dsl, plane.clock(), plane.plans(), seal), plane.webhooks());
    }

    public Principal operator() {
        return plane.apiKeys().authenticate(operatorOrg.ownerKey().secret(), "test");
    }

    /** A new tenant on {@code planId}, returning the owner's principal. */
    public Tenant tenant(String name, String planId) {
        OrganizationService.Created c = plane.organizations().create(operator(), name, planId,
                "owner@" + name.toLowerCase().replaceAll("[^a-z0-9]", "") + ".example", "Owner");
        return new Tenant(c, plane.apiKeys().authenticate(c.ownerKey().secret(), "test"));
    }

    public record Tenant(OrganizationService.Created created, Principal owner) {
        public String ownerKey() {
            return created.ownerKey().secret();
        }

        public ApiKey.Created key() {
            return created.ownerKey();
        }
    }
}
