package io.switchboard;

import java.time.Clock;

import io.switchboard.agents.AgentService;
import io.switchboard.audit.AuditSink;
import io.switchboard.campaigns.CampaignService;
import io.switchboard.contacts.ContactService;
import io.switchboard.contacts.ContactTransfer;
import io.switchboard.common.Database;
import io.switchboard.plans.PlanCatalog;
import io.switchboard.plans.PlanService;
import io.switchboard.tenancy.ApiKeyService;
import io.switchboard.tenancy.OrganizationService;
import io.switchboard.tenancy.UserService;
import io.switchboard.usage.UsageService;
import org.jooq.DSLContext;

/**
 * The domain services of the control plane, wired by hand in one place. The server translates gRPC to
 * these; tests call them directly.
 */
public record ControlPlane(Database database, Clock clock, PlanCatalog catalog, AuditSink audit,
                           OrganizationService organizations, ApiKeyService apiKeys, UserService users,
                           PlanService plans, AgentService agents,
                           CampaignService campaigns, UsageService usage,
                           ContactService contacts, ContactTransfer contactTransfer) {

    public static ControlPlane create(Database database, Clock clock, PlanCatalog catalog, AuditSink audit) {
        DSLContext dsl = database.dsl();
        PlanService plans = new PlanService(dsl, clock, catalog, audit);
        ContactService contacts = new ContactService(dsl, clock, audit);
        return new ControlPlane(database, clock, catalog, audit,
                new OrganizationService(dsl, clock, catalog, audit),
                new ApiKeyService(dsl, clock, audit),
                new UserService(dsl, clock, audit),
                plans,
                new AgentService(dsl, clock, plans, audit),
                new CampaignService(dsl, clock, plans, audit),
                new UsageService(dsl, clock),
                contacts,
                new ContactTransfer(contacts));
    }
}
