package io.switchboard;

import java.time.Clock;
import java.time.Duration;

import io.switchboard.agents.AgentService;
import io.switchboard.audit.AuditEvent;
import io.switchboard.audit.AuditLog;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.audit.AuditSigner;
import io.switchboard.audit.AuditSink;
import io.switchboard.calls.CallRepository;
import io.switchboard.calls.CallService;
import io.switchboard.calls.TranscriptStore;
import io.switchboard.campaigns.CampaignService;
import io.switchboard.compliance.DoNotCall;
import io.switchboard.contacts.ContactService;
import io.switchboard.contacts.ContactTransfer;
import io.switchboard.encryption.ContentSeal;
import io.switchboard.idempotency.RequestIds;
import io.switchboard.encryption.MasterKeys;
import io.switchboard.common.Database;
import io.switchboard.dialer.CampaignProgress;
import io.switchboard.dialer.DialAttempts;
import io.switchboard.messaging.MessagingService;
import io.switchboard.plans.DataClass;
import io.switchboard.plans.PlanCatalog;
import io.switchboard.plans.PlanService;
import io.switchboard.queue.JobQueue;
import io.switchboard.recordings.RecordingStore;
import io.switchboard.retention.LegalHolds;
import io.switchboard.retention.PolicyChanges;
import io.switchboard.retention.RetentionService;
import io.switchboard.storage.ObjectStore;
import io.switchboard.tenancy.ApiKeyService;
import io.switchboard.tenancy.KeyChanges;
import io.switchboard.tenancy.OrganizationService;
import io.switchboard.tenancy.UserService;
import io.switchboard.usage.UsageService;
import io.switchboard.webhooks.Webhooks;
import org.jooq.DSLContext;

/**
 * The domain services of the control plane, wired by hand in one place, on one {@link Clock}. The server
 * translates gRPC to these; the worker runs their jobs; tests call them directly. Built with {@link #builder}.
 */
public record ControlPlane(Database database, Clock clock, PlanCatalog catalog, AuditSink audit, AuditLog auditLog,
                           OrganizationService organizations, ApiKeyService apiKeys, UserService users,
                           PlanService plans, AgentService agents,
                           CampaignService campaigns, UsageService usage,
                           ContactService contacts, ContactTransfer contactTransfer,
                           RetentionService retention, LegalHolds legalHolds, ContentSeal contentSeal,
                           Webhooks webhooks, DoNotCall doNotCall, DialAttempts dialAttempts,
                           CampaignProgress campaignProgress, RequestIds requestIds,
                           JobQueue jobs, RecordingStore recordings, TranscriptStore transcripts,
                           CallRepository callRepository, CallService calls, MessagingService messaging) {

    /** Follow-up rules of campaigns and agents and what they did on each call (stateless; made on demand). */
    public io.switchboard.messaging.FollowUps followUps() {
        return new io.switchboard.messaging.FollowUps(database.dsl(), clock, messaging, transcripts, audit);
    }

    /**
     * @param database where everything is stored
     * @param catalog  the plans organisations can be on
     * @param storage  the object store holding call audio and recordings
     */
    public static Builder builder(Database database, PlanCatalog catalog, ObjectStore storage) {
        return new Builder(database, catalog, storage);
    }

    /** The optional parts, each with a default fit for tests and development. */
    public static final class Builder {

        private final Database database;
        private final PlanCatalog catalog;
        private final ObjectStore storage;
        private Clock clock = Clock.systemUTC();
        private AuditSigner signer;
        private AuditSink alsoTo = e -> { };
        private Duration downgradeGrace = PolicyChanges.DEFAULT_GRACE;
        private MasterKeys masterKeys;
        private JobQueue.Backoff backoff = JobQueue.Backoff.DEFAULT;
        private Voices voices;
        private MessagingService.Settings messaging = MessagingService.Settings.DEFAULT;

        private Builder(Database database, PlanCatalog catalog, ObjectStore storage) {
            this.database = database;
            this.catalog = catalog;
            this.storage = storage;
        }

        /** What every service reads the time from (default: the system's, in UTC). */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Signs the audit trail's checkpoints (default: a key generated in memory). */
        public Builder auditSigner(AuditSigner signer) {
            this.signer = signer;
            return this;
        }

        /** Receives every audit event too, after the audit trail: the application log, a test's list. */
        public Builder alsoAuditTo(AuditSink alsoTo) {
            this.alsoTo = alsoTo;
            return this;
        }

        /** How long after a downgrade data the old policy kept is still kept. */
        public Builder downgradeGrace(Duration downgradeGrace) {
            this.downgradeGrace = downgradeGrace;
            return this;
        }

        /** Wrap the data keys that encrypt HIPAA-mode content (default: a key generated in memory). */
        public Builder masterKeys(MasterKeys masterKeys) {
            this.masterKeys = masterKeys;
            return this;
        }

        /** How failed jobs are retried. */
        public Builder jobBackoff(JobQueue.Backoff backoff) {
            this.backoff = backoff;
            return this;
        }

        /** The speech synthesis voices agents may name (default: the engines installed on this machine). */
        public Builder voices(Voices voices) {
            this.voices = voices;
            return this;
        }

        /** The answers to texted keywords (default: {@link MessagingService.Settings#DEFAULT}). */
        public Builder messaging(MessagingService.Settings messaging) {
            this.messaging = messaging;
            return this;
        }

        public ControlPlane build() {
            DSLContext dsl = database.dsl();
            AuditLog auditLog = new AuditLog(dsl, clock, signer != null ? signer : AuditSigner.generate());
            AuditSink sink = alsoTo;
            AuditSink audit = new AuditSink() {
                @Override
                public void record(AuditEvent e) {
                    auditLog.record(e);
                    sink.record(e);
                }

                @Override
                public void record(DSLContext tx, AuditEvent e) {
                    auditLog.record(tx, e);
                    sink.record(e);
                }
            };
            PolicyChanges changes = new PolicyChanges(downgradeGrace);
            PlanService plans = new PlanService(dsl, clock, catalog, audit, changes);
            ContentSeal seal = new ContentSeal(dsl, clock, masterKeys != null ? masterKeys : MasterKeys.generate());
            RequestIds requestIds = new RequestIds(dsl, clock, seal);
            Webhooks webhooks = new Webhooks(dsl, clock, audit, requestIds);
            ContactService contacts = new ContactService(dsl, clock, audit, requestIds);
            auditLog.useRetention((org, at) -> plans.effectivePolicy(org).retention(DataClass.AUDIT_LOG).expiry(at));
            KeyChanges keyChanges = new KeyChanges();
            JobQueue jobs = new JobQueue(dsl, clock, backoff);
            RecordingStore recordings = new RecordingStore(storage);
            TranscriptStore transcripts = new TranscriptStore(dsl, clock, plans, seal);
            UsageService usage = new UsageService(dsl, clock, plans);
            return new ControlPlane(database, clock, catalog, audit, auditLog,
                    new OrganizationService(dsl, clock, catalog, audit, plans, changes, requestIds, keyChanges),
                    new ApiKeyService(dsl, clock, audit, requestIds, keyChanges),
                    new UserService(dsl, clock, audit, requestIds, keyChanges),
                    plans,
                    new AgentService(dsl, clock, plans, audit, requestIds, voices != null ? voices : Voices.installed()),
                    new CampaignService(dsl, clock, plans, audit, webhooks, requestIds),
                    usage,
                    contacts,
                    new ContactTransfer(contacts),
                    new RetentionService(dsl, clock, plans, changes),
                    new LegalHolds(dsl, clock, audit),
                    seal,
                    webhooks,
                    new DoNotCall(dsl, clock, audit),
                    new DialAttempts(dsl, clock),
                    new CampaignProgress(dsl),
                    requestIds,
                    jobs, recordings, transcripts, new CallRepository(dsl),
                    new CallService(dsl, clock, plans, jobs, recordings, audit, transcripts, webhooks),
                    new MessagingService(dsl, clock, plans, jobs, seal, audit, webhooks, transcripts, usage, messaging));
        }
    }
}
