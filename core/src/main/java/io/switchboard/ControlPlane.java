package io.switchboard;

import java.time.Clock;
import java.time.Duration;

import io.switchboard.agents.AgentService;
import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditLog;
import io.switchboard.audit.AuditSigner;
import io.switchboard.audit.AuditSink;
import io.switchboard.campaigns.CampaignService;
import io.switchboard.compliance.DoNotCall;
import io.switchboard.contacts.ContactService;
import io.switchboard.contacts.ContactTransfer;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.encryption.ContentSeal;
import io.switchboard.idempotency.RequestIds;
import io.switchboard.encryption.MasterKeys;
import io.switchboard.common.Database;
import io.switchboard.dialer.CampaignProgress;
import io.switchboard.dialer.DialAttempts;
import io.switchboard.plans.DataClass;
import io.switchboard.plans.PlanCatalog;
import io.switchboard.plans.PlanService;
import io.switchboard.retention.LegalHolds;
import io.switchboard.retention.PolicyChanges;
import io.switchboard.retention.RetentionService;
import io.switchboard.tenancy.ApiKeyService;
import io.switchboard.tenancy.KeyChanges;
import io.switchboard.tenancy.OrganizationService;
import io.switchboard.tenancy.UserService;
import io.switchboard.usage.UsageService;
import io.switchboard.webhooks.Webhooks;
import org.jooq.DSLContext;

/**
 * The domain services of the control plane, wired by hand in one place. The server translates gRPC to
 * these; tests call them directly.
 */
public record ControlPlane(Database database, Clock clock, PlanCatalog catalog, AuditSink audit, AuditLog auditLog,
                           OrganizationService organizations, ApiKeyService apiKeys, UserService users,
                           PlanService plans, AgentService agents,
                           CampaignService campaigns, UsageService usage,
                           ContactService contacts, ContactTransfer contactTransfer,
                           RetentionService retention, LegalHolds legalHolds, ContentSeal contentSeal,
                           Webhooks webhooks, DoNotCall doNotCall, DialAttempts dialAttempts,
                           CampaignProgress campaignProgress, RequestIds requestIds) {

    /** With an in-memory checkpoint signing key (tests). */
    public static ControlPlane create(Database database, Clock clock, PlanCatalog catalog, AuditSink alsoTo) {
        return create(database, clock, catalog, AuditSigner.generate(), alsoTo);
    }

    /**
     * @param signer signs the audit trail's checkpoints
     * @param alsoTo receives every audit event too, after the audit trail (the application log, a test's list)
     */
    public static ControlPlane create(Database database, Clock clock, PlanCatalog catalog, AuditSigner signer,
                                      AuditSink alsoTo) {
        return create(database, clock, catalog, signer, alsoTo, PolicyChanges.DEFAULT_GRACE);
    }

    /** @param downgradeGrace how long after a downgrade data the old policy kept is still kept */
    public static ControlPlane create(Database database, Clock clock, PlanCatalog catalog, AuditSigner signer,
                                      AuditSink alsoTo, Duration downgradeGrace) {
        return create(database, clock, catalog, signer, alsoTo, downgradeGrace, MasterKeys.generate());
    }

    /** @param masterKeys wrap the data keys that encrypt HIPAA-mode content */
    public static ControlPlane create(Database database, Clock clock, PlanCatalog catalog, AuditSigner signer,
                                      AuditSink alsoTo, Duration downgradeGrace, MasterKeys masterKeys) {
        return create(database, clock, catalog, signer, alsoTo, downgradeGrace, masterKeys, Voices.installed());
    }

    /** @param voices the speech synthesis voices agents may name */
    public static ControlPlane create(Database database, Clock clock, PlanCatalog catalog, AuditSigner signer,
                                      AuditSink alsoTo, Duration downgradeGrace, MasterKeys masterKeys, Voices voices) {
        DSLContext dsl = database.dsl();
        AuditLog auditLog = new AuditLog(dsl, clock, signer);
        AuditSink audit = new AuditSink() {
            @Override
            public void record(AuditEvent e) {
                auditLog.record(e);
                alsoTo.record(e);
            }

            @Override
            public void record(DSLContext tx, AuditEvent e) {
                auditLog.record(tx, e);
                alsoTo.record(e);
            }
        };
        PolicyChanges changes = new PolicyChanges(downgradeGrace);
        PlanService plans = new PlanService(dsl, clock, catalog, audit, changes);
        ContentSeal seal = new ContentSeal(dsl, clock, masterKeys);
        RequestIds requestIds = new RequestIds(dsl, clock, seal);
        Webhooks webhooks = new Webhooks(dsl, clock, audit, requestIds);
        ContactService contacts = new ContactService(dsl, clock, audit, requestIds);
        auditLog.useRetention((org, at) -> plans.effectivePolicy(org).retention(DataClass.AUDIT_LOG).expiry(at));
        KeyChanges keyChanges = new KeyChanges();
        return new ControlPlane(database, clock, catalog, audit, auditLog,
                new OrganizationService(dsl, clock, catalog, audit, plans, changes, requestIds, keyChanges),
                new ApiKeyService(dsl, clock, audit, requestIds, keyChanges),
                new UserService(dsl, clock, audit, requestIds, keyChanges),
                plans,
                new AgentService(dsl, clock, plans, audit, requestIds, voices),
                new CampaignService(dsl, clock, plans, audit, webhooks, requestIds),
                new UsageService(dsl, clock, plans),
                contacts,
                new ContactTransfer(contacts),
                new RetentionService(dsl, clock, plans, changes),
                new LegalHolds(dsl, clock, audit),
                seal,
                webhooks,
                new DoNotCall(dsl, clock, audit),
                new DialAttempts(dsl, clock),
                new CampaignProgress(dsl),
                requestIds);
    }
}
