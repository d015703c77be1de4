package io.switchboard.server.tenancy;

import static io.switchboard.server.ApiHarness.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors;
import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.switchboard.server.ApiHarness;
import io.switchboard.v1.AddSenderRequest;
import io.switchboard.v1.CreateMessageTemplateRequest;
import io.switchboard.v1.DeleteMessageTemplateRequest;
import io.switchboard.v1.GetMessageRequest;
import io.switchboard.v1.ListConsentEventsRequest;
import io.switchboard.v1.ListMessageTemplatesRequest;
import io.switchboard.v1.ListMessagesRequest;
import io.switchboard.v1.ListOptOutsRequest;
import io.switchboard.v1.ListSendersRequest;
import io.switchboard.v1.ListThreadsRequest;
import io.switchboard.v1.MessageChannel;
import io.switchboard.v1.MessageTemplate;
import io.switchboard.v1.MessagingProto;
import io.switchboard.v1.MessagingServiceGrpc;
import io.switchboard.v1.CreateFollowUpRequest;
import io.switchboard.v1.DeleteFollowUpRequest;
import io.switchboard.v1.FollowUp;
import io.switchboard.v1.FollowUpServiceGrpc;
import io.switchboard.v1.FollowUpsProto;
import io.switchboard.v1.ListFollowUpsRequest;
import io.switchboard.v1.RemoveSenderRequest;
import io.switchboard.v1.SendMessageRequest;
import io.switchboard.v1.UpdateMessageTemplateRequest;
import io.switchboard.v1.*;
import io.switchboard.v1.AddDoNotCallNumbersRequest;
import io.switchboard.v1.CloseOrganizationRequest;
import io.switchboard.v1.ComplianceProto;
import io.switchboard.v1.ComplianceServiceGrpc;
import io.switchboard.v1.DoNotCallImportOptions;
import io.switchboard.v1.ExportDoNotCallListRequest;
import io.switchboard.v1.ImportDoNotCallListRequest;
import io.switchboard.v1.ImportDoNotCallListResponse;
import io.switchboard.v1.CreateWebhookEndpointRequest;
import io.switchboard.v1.DeleteWebhookEndpointRequest;
import io.switchboard.v1.DoNotCallEntry;
import io.switchboard.v1.DryRunPlanChangeRequest;
import io.switchboard.v1.GetCampaignStatsRequest;
import io.switchboard.v1.ListCampaignContactsRequest;
import io.switchboard.v1.ListDialAttemptsRequest;
import io.switchboard.v1.GetDoNotCallNumberRequest;
import io.switchboard.v1.HoldScope;
import io.switchboard.v1.LegalHold;
import io.switchboard.v1.ListDeletionsRequest;
import io.switchboard.v1.ListDoNotCallNumbersRequest;
import io.switchboard.v1.ListLegalHoldsRequest;
import io.switchboard.v1.ListUpcomingExpiriesRequest;
import io.switchboard.v1.ListWebhookDeliveriesRequest;
import io.switchboard.v1.ListWebhookEndpointsRequest;
import io.switchboard.v1.PlaceLegalHoldRequest;
import io.switchboard.v1.ReleaseLegalHoldRequest;
import io.switchboard.v1.RemoveDoNotCallNumberRequest;
import io.switchboard.v1.ReopenOrganizationRequest;
import io.switchboard.v1.ReplayWebhookDeliveryRequest;
import io.switchboard.v1.RetentionProto;
import io.switchboard.v1.RetentionServiceGrpc;
import io.switchboard.v1.WebhookServiceGrpc;
import io.switchboard.v1.WebhooksProto;
import io.switchboard.sdk.SingleResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tenancy over the whole API: organisation B's owner key is pointed at every RPC with organisation A's
 * identifiers, and each must fail as if A's data did not exist (or act only on B), after which A's data
 * is read back unchanged. {@link #everyRpcHasATenancyProbe()} fails when an RPC is added without a probe.
 */
class TenantIsolationTest {

    private ApiHarness api;
    private Org a;
    private Org b;
    private Snapshot before;
    private List<Object> messagingBefore;

    /** One organisation's stubs and the ids of its resources. */
    record Org(String id, String ownerKey, OrganizationServiceGrpc.OrganizationServiceBlockingStub orgs,
               UserServiceGrpc.UserServiceBlockingStub users, ApiKeyServiceGrpc.ApiKeyServiceBlockingStub keys,
               PlanServiceGrpc.PlanServiceBlockingStub plans, AgentServiceGrpc.AgentServiceBlockingStub agents,
               ContactServiceGrpc.ContactServiceBlockingStub contacts, ContactServiceGrpc.ContactServiceStub contactsAsync,
               CampaignServiceGrpc.CampaignServiceBlockingStub campaigns,
               UsageServiceGrpc.UsageServiceBlockingStub usage,
               RetentionServiceGrpc.RetentionServiceBlockingStub retention,
               WebhookServiceGrpc.WebhookServiceBlockingStub webhooks,
               ComplianceServiceGrpc.ComplianceServiceBlockingStub compliance,
               ComplianceServiceGrpc.ComplianceServiceStub complianceAsync,
               Map<String, String> ids) {
    }

    /** Everything A owns, as A sees it. */
    record Snapshot(Organization org, OrganizationPlan plan, List<User> users, List<ApiKey> keys, List<Agent> agents,
                    List<Contact> contacts, List<ContactList> lists, List<Campaign> campaigns, UsageTotals usage,
                    List<LegalHold> holds, List<DoNotCallEntry> doNotCall) {
    }

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        var ops = OrganizationServiceGrpc.newBlockingStub(api.channel)
                .withCallCredentials(bearer(api.fixtures.operatorOrg.ownerKey().secret()));
        a = populate(ops.createOrganization(CreateOrganizationRequest.newBuilder().setName("Tenant A")
                .setPlanId("enterprise").setOwnerEmail("owner@a.example").build()));
        b = populate(ops.createOrganization(CreateOrganizationRequest.newBuilder().setName("Tenant B")
                .setPlanId("enterprise").setOwnerEmail("owner@b.example").build()));
        a.compliance().addDoNotCallNumbers(AddDoNotCallNumbersRequest.newBuilder().addPhoneNumbers("+14155550166").build());
        populateMessaging(a);
        before = snapshot(a);
        messagingBefore = messagingSnapshot(a);
    }

    @AfterEach
    void tearDown() {
        api.close();
    }

    private Org populate(CreateOrganizationResponse created) {
        String key = created.getOwnerApiKey().getSecret();
        var creds = bearer(key);
        Org o = new Org(created.getOrganization().getId(), key,
                OrganizationServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds),
                UserServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds),
                ApiKeyServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds),
                PlanServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds),
                AgentServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds),
                ContactServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds),
                ContactServiceGrpc.newStub(api.channel).withCallCredentials(creds),
                CampaignServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds),
                UsageServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds),
                RetentionServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds),
                WebhookServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds),
                ComplianceServiceGrpc.newBlockingStub(api.channel).withCallCredentials(creds),
                ComplianceServiceGrpc.newStub(api.channel).withCallCredentials(creds),
                new LinkedHashMap<>());
        o.ids().put("owner", created.getOwner().getId());
        o.ids().put("user", o.users().createUser(CreateUserRequest.newBuilder().setEmail("agent@" + o.id() + ".example")
                .setRole(Role.ROLE_AGENT).build()).getId());
        o.ids().put("key", o.keys().createApiKey(CreateApiKeyRequest.newBuilder().setName("ci")
                .setRole(Role.ROLE_VIEWER).build()).getApiKey().getId());
        o.ids().put("agent", o.agents().createAgent(CreateAgentRequest.newBuilder().setAgent(Agent.newBuilder()
                .setName("Agent").setLanguage("en-US")).build()).getId());
        String list = o.contacts().createContactList(CreateContactListRequest.newBuilder()
                .setContactList(ContactList.newBuilder().setName("List")).build()).getId();
        o.ids().put("list", list);
        o.ids().put("contact", o.contacts().createContact(CreateContactRequest.newBuilder().setContact(Contact.newBuilder()
                .setPhoneNumber("+14155550123").setExternalId("ext-1").setFirstName("Ada").addListIds(list)).build()).getId());
        o.ids().put("campaign", o.campaigns().createCampaign(CreateCampaignRequest.newBuilder().setCampaign(Campaign.newBuilder()
                .setName("Campaign").setAgentId(o.ids().get("agent")).setContactListId(list)
                .setCallerId("+14155550100")).build()).getId());
        // a second campaign, running, so that pause/complete/cancel probes meet a state that allows them
        String running = o.campaigns().createCampaign(CreateCampaignRequest.newBuilder().setCampaign(Campaign.newBuilder()
                .setName("Running").setAgentId(o.ids().get("agent")).setContactListId(list)
                .setCallerId("+14155550100")).build()).getId();
        o.campaigns().startCampaign(CampaignTransitionRequest.newBuilder().setId(running).build());
        o.ids().put("running", running);
        o.ids().put("hold", o.retention().placeLegalHold(PlaceLegalHoldRequest.newBuilder()
                .setScope(HoldScope.HOLD_SCOPE_CAMPAIGN).setResourceId(o.ids().get("campaign")).setReason("matter 1")
                .build()).getId());
        String endpoint = o.webhooks().createWebhookEndpoint(CreateWebhookEndpointRequest.newBuilder()
                .setUrl("https://hooks.example/" + o.id()).addEvents("call.started").build()).getEndpoint().getId();
        o.ids().put("webhook", endpoint);
        o.compliance().addDoNotCallNumbers(AddDoNotCallNumbersRequest.newBuilder()
                .addPhoneNumbers("+14155550177").build());
        api.fixtures.plane.webhooks().emit(java.util.UUID.fromString(o.id()), io.switchboard.webhooks.WebhookEvent.CALL_STARTED,
                io.switchboard.webhooks.Webhooks.JSON.createObjectNode().put("probe", true));
        o.ids().put("delivery", o.webhooks().listWebhookDeliveries(ListWebhookDeliveriesRequest.newBuilder()
                .setEndpointId(endpoint).build()).getDeliveries(0).getId());
        api.fixtures.plane.usage().record(java.util.UUID.fromString(o.id()),
                io.switchboard.usage.UsageService.Metric.CALL_MS, 42_000, java.util.Optional.empty(), "probe",
                java.time.Instant.now());
        return o;
    }

    private MessagingServiceGrpc.MessagingServiceBlockingStub messaging(Org o) {
        return MessagingServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(o.ownerKey()));
    }

    /** A's sender, template, an outbound text to its contact, and a number that texted STOP. */
    private void populateMessaging(Org o) {
        var m = messaging(o);
        o.ids().put("sender", m.addSender(AddSenderRequest.newBuilder().setAddress("+14155550188").build()).getId());
        o.ids().put("template", m.createMessageTemplate(CreateMessageTemplateRequest.newBuilder().setTemplate(
                MessageTemplate.newBuilder().setName("hello").setChannel(MessageChannel.MESSAGE_CHANNEL_SMS)
                        .setBody("Hi {{first_name}}")).build()).getId());
        o.ids().put("message", m.sendMessage(SendMessageRequest.newBuilder().setContactId(o.ids().get("contact"))
                .setFrom("+14155550188").setTemplateId(o.ids().get("template")).build()).getId());
        api.fixtures.plane.messaging().receive("SM" + "7".repeat(32), "+14155550133", "+14155550188", "STOP");
        o.ids().put("follow_up", followUps(o).createFollowUp(CreateFollowUpRequest.newBuilder().setFollowUp(
                FollowUp.newBuilder().setAgentId(o.ids().get("agent")).setDisposition("interested")
                        .setTemplateId(o.ids().get("template"))).build()).getId());
    }

    private FollowUpServiceGrpc.FollowUpServiceBlockingStub followUps(Org o) {
        return FollowUpServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(o.ownerKey()));
    }

    private List<Object> messagingSnapshot(Org o) {
        var m = messaging(o);
        return List.of(m.listSenders(ListSendersRequest.getDefaultInstance()).getSendersList(),
                m.listMessageTemplates(ListMessageTemplatesRequest.getDefaultInstance()).getTemplatesList(),
                m.listThreads(ListThreadsRequest.getDefaultInstance()).getThreadsList(),
                m.listMessages(ListMessagesRequest.newBuilder().setContactId(o.ids().get("contact")).build())
                        .getMessagesList(),
                m.listOptOuts(ListOptOutsRequest.getDefaultInstance()).getOptOutsList(),
                followUps(o).listFollowUps(ListFollowUpsRequest.newBuilder().setAgentId(o.ids().get("agent")).build())
                        .getFollowUpsList());
    }

    private Snapshot snapshot(Org o) {
        return new Snapshot(
                o.orgs().getOrganization(GetOrganizationRequest.getDefaultInstance()),
                o.plans().getOrganizationPlan(GetOrganizationPlanRequest.getDefaultInstance()),
                o.users().listUsers(ListUsersRequest.getDefaultInstance()).getUsersList(),
                o.keys().listApiKeys(ListApiKeysRequest.newBuilder().setIncludeRevoked(true).build()).getApiKeysList()
                        .stream().map(k -> k.toBuilder().clearLastUsedTime().build()).toList(),
                o.agents().listAgents(ListAgentsRequest.getDefaultInstance()).getAgentsList(),
                o.contacts().listContacts(ListContactsRequest.getDefaultInstance()).getContactsList(),
                o.contacts().listContactLists(ListContactListsRequest.getDefaultInstance()).getContactListsList(),
                o.campaigns().listCampaigns(ListCampaignsRequest.getDefaultInstance()).getCampaignsList(),
                o.usage().getUsage(usageToday()).getTotals(),
                o.retention().listLegalHolds(ListLegalHoldsRequest.newBuilder().setIncludeReleased(true).build())
                        .getHoldsList(),
                o.compliance().listDoNotCallNumbers(ListDoNotCallNumbersRequest.getDefaultInstance()).getEntriesList());
    }

    private static GetUsageRequest usageToday() {
        java.time.Instant now = java.time.Instant.now();
        return GetUsageRequest.newBuilder()
                .setStartTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(now.getEpochSecond() - 86_400))
                .setEndTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(now.getEpochSecond() + 86_400)).build();
    }

    private static void notFound(Runnable call) {
        expect(Status.Code.NOT_FOUND, call);
    }

    private static void expect(Status.Code code, Runnable call) {
        try {
            call.run();
            fail("expected " + code + " but the call succeeded");
        } catch (StatusRuntimeException e) {
            assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        }
    }

    private Map<String, Runnable> probes() {
        Map<String, String> ids = a.ids();
        FieldMask nameMask = FieldMask.newBuilder().addPaths("name").build();
        Map<String, Runnable> p = new LinkedHashMap<>();

        p.put("OrganizationService/CreateOrganization", () -> expect(Status.Code.PERMISSION_DENIED, () ->
                b.orgs().createOrganization(CreateOrganizationRequest.newBuilder().setName("x").setOwnerEmail("x@x.example").build())));
        p.put("OrganizationService/ListOrganizations", () -> expect(Status.Code.PERMISSION_DENIED, () ->
                b.orgs().listOrganizations(ListOrganizationsRequest.getDefaultInstance())));
        p.put("OrganizationService/GetOrganization", () ->
                assertEquals(b.id(), b.orgs().getOrganization(GetOrganizationRequest.getDefaultInstance()).getId()));
        p.put("OrganizationService/UpdateOrganization", () -> assertEquals(b.id(), b.orgs().updateOrganization(
                UpdateOrganizationRequest.newBuilder().setOrganization(Organization.newBuilder().setId(a.id()).setName("Hijacked"))
                        .setUpdateMask(nameMask).build()).getId(), "an organisation id in the body never redirects the update"));

        p.put("OrganizationService/CloseOrganization", () -> expect(Status.Code.INVALID_ARGUMENT, () ->
                b.orgs().closeOrganization(CloseOrganizationRequest.newBuilder().setConfirmName("Tenant A").build())));
        p.put("OrganizationService/ReopenOrganization", () -> expect(Status.Code.PERMISSION_DENIED, () ->
                b.orgs().reopenOrganization(ReopenOrganizationRequest.newBuilder().setOrganizationId(a.id()).build())));

        p.put("RetentionService/GetEffectivePolicy", () -> assertEquals(b.id(),
                b.retention().getEffectivePolicy(GetEffectivePolicyRequest.getDefaultInstance()).getOrganizationId()));
        p.put("RetentionService/ListUpcomingExpiries", () -> assertEquals(30,
                b.retention().listUpcomingExpiries(ListUpcomingExpiriesRequest.getDefaultInstance()).getDays()));
        p.put("RetentionService/DryRunPlanChange", () -> assertTrue(b.retention().dryRunPlanChange(
                DryRunPlanChangeRequest.newBuilder().setPlanId("starter").build()).getItemsList().isEmpty()));
        p.put("RetentionService/PlaceLegalHold", () -> {
            notFound(() -> b.retention().placeLegalHold(PlaceLegalHoldRequest.newBuilder()
                    .setScope(HoldScope.HOLD_SCOPE_CAMPAIGN).setResourceId(ids.get("campaign")).setReason("x").build()));
            notFound(() -> b.retention().placeLegalHold(PlaceLegalHoldRequest.newBuilder()
                    .setScope(HoldScope.HOLD_SCOPE_CONTACT).setResourceId(ids.get("contact")).setReason("x").build()));
            notFound(() -> b.retention().placeLegalHold(PlaceLegalHoldRequest.newBuilder()
                    .setScope(HoldScope.HOLD_SCOPE_ORGANIZATION).setResourceId(a.id()).setReason("x").build()));
        });
        p.put("RetentionService/ReleaseLegalHold", () -> notFound(() -> b.retention().releaseLegalHold(
                ReleaseLegalHoldRequest.newBuilder().setId(ids.get("hold")).build())));
        p.put("RetentionService/ListLegalHolds", () -> assertDisjoint(ids.values(), b.retention().listLegalHolds(
                ListLegalHoldsRequest.newBuilder().setIncludeReleased(true).build()).getHoldsList().stream()
                .map(LegalHold::getId).toList()));
        p.put("RetentionService/ListDeletions", () -> assertTrue(b.retention().listDeletions(
                ListDeletionsRequest.newBuilder().setResourceId(ids.get("campaign")).build()).getDeletionsList().isEmpty()));

        p.put("WebhookService/CreateWebhookEndpoint", () -> b.webhooks().createWebhookEndpoint(
                CreateWebhookEndpointRequest.newBuilder().setUrl("https://b.example/hook").addEvents("call.completed").build()));
        p.put("WebhookService/ListWebhookEndpoints", () -> assertDisjoint(ids.values(), b.webhooks().listWebhookEndpoints(
                ListWebhookEndpointsRequest.getDefaultInstance()).getEndpointsList().stream()
                .map(io.switchboard.v1.WebhookEndpoint::getId).toList()));
        p.put("WebhookService/DeleteWebhookEndpoint", () -> notFound(() -> b.webhooks().deleteWebhookEndpoint(
                DeleteWebhookEndpointRequest.newBuilder().setId(ids.get("webhook")).build())));
        p.put("WebhookService/ListWebhookDeliveries", () -> notFound(() -> b.webhooks().listWebhookDeliveries(
                ListWebhookDeliveriesRequest.newBuilder().setEndpointId(ids.get("webhook")).build())));
        p.put("WebhookService/ReplayWebhookDelivery", () -> notFound(() -> b.webhooks().replayWebhookDelivery(
                ReplayWebhookDeliveryRequest.newBuilder().setId(ids.get("delivery")).build())));

        // both lists hold +14155550177; A's also +14155550166, which B must not see or remove
        p.put("ComplianceService/AddDoNotCallNumbers", () -> assertEquals(1, b.compliance().addDoNotCallNumbers(
                AddDoNotCallNumbersRequest.newBuilder().addPhoneNumbers("+14155550155").build()).getAdded()));
        p.put("ComplianceService/RemoveDoNotCallNumber", () -> notFound(() -> b.compliance().removeDoNotCallNumber(
                RemoveDoNotCallNumberRequest.newBuilder().setPhoneNumber("+14155550166").build())));
        p.put("ComplianceService/GetDoNotCallNumber", () -> notFound(() -> b.compliance().getDoNotCallNumber(
                GetDoNotCallNumberRequest.newBuilder().setPhoneNumber("+14155550166").build())));
        p.put("ComplianceService/ImportDoNotCallList", () -> {
            SingleResponse<ImportDoNotCallListResponse> result = new SingleResponse<>();
            StreamObserver<ImportDoNotCallListRequest> in = b.complianceAsync().importDoNotCallList(result);
            in.onNext(ImportDoNotCallListRequest.newBuilder().setOptions(DoNotCallImportOptions.newBuilder()).build());
            in.onNext(ImportDoNotCallListRequest.newBuilder().setChunk(ByteString.copyFromUtf8("phone_number\n+14155550188\n"))
                    .build());
            in.onCompleted();
            assertEquals(1, result.future().join().getAdded(), "B imports into its own list only");
        });
        p.put("ComplianceService/ExportDoNotCallList", () -> {
            StringBuilder all = new StringBuilder();
            b.compliance().exportDoNotCallList(ExportDoNotCallListRequest.getDefaultInstance())
                    .forEachRemaining(c -> all.append(c.getData().toStringUtf8()));
            assertFalse(all.toString().contains("+14155550166"), all.toString());
            assertTrue(all.toString().contains("+14155550177"), all.toString());
        });
        p.put("ComplianceService/ListDoNotCallNumbers", () -> assertFalse(b.compliance().listDoNotCallNumbers(
                ListDoNotCallNumbersRequest.getDefaultInstance()).getEntriesList().stream()
                .anyMatch(e -> e.getPhoneNumber().equals("+14155550166"))));

        var rules = followUps(b);
        p.put("FollowUpService/CreateFollowUp", () -> {
            notFound(() -> rules.createFollowUp(CreateFollowUpRequest.newBuilder().setFollowUp(FollowUp.newBuilder()
                    .setAgentId(ids.get("agent")).setDisposition("x").setTemplateId(ids.get("template"))).build()));
            String own = b.agents().listAgents(ListAgentsRequest.getDefaultInstance()).getAgents(0).getId();
            expect(Status.Code.INVALID_ARGUMENT, () -> rules.createFollowUp(CreateFollowUpRequest.newBuilder()
                    .setFollowUp(FollowUp.newBuilder().setAgentId(own).setDisposition("x")
                            .setTemplateId(ids.get("template"))).build()));
        });
        p.put("FollowUpService/ListFollowUps", () -> assertEquals(0, rules.listFollowUps(ListFollowUpsRequest
                .newBuilder().setAgentId(ids.get("agent")).build()).getFollowUpsCount()));
        p.put("FollowUpService/DeleteFollowUp", () -> notFound(() -> rules.deleteFollowUp(DeleteFollowUpRequest
                .newBuilder().setId(ids.get("follow_up")).build())));
        var texts = messaging(b);
        p.put("MessagingService/SendMessage", () -> {
            texts.addSender(AddSenderRequest.newBuilder().setAddress("+14155550189").build());
            notFound(() -> texts.sendMessage(SendMessageRequest.newBuilder().setContactId(ids.get("contact"))
                    .setFrom("+14155550189").setBody("x").build()));
            notFound(() -> texts.sendMessage(SendMessageRequest.newBuilder().setTo("+14155550123")
                    .setFrom("+14155550189").setTemplateId(ids.get("template")).build()));
            expect(Status.Code.INVALID_ARGUMENT, () -> texts.sendMessage(SendMessageRequest.newBuilder()
                    .setTo("+14155550123").setFrom("+14155550188").setBody("x").build()));
        });
        p.put("MessagingService/ListThreads", () -> assertEquals(0, texts.listThreads(
                ListThreadsRequest.getDefaultInstance()).getThreadsCount()));
        p.put("MessagingService/ListMessages", () -> {
            notFound(() -> texts.listMessages(ListMessagesRequest.newBuilder().setContactId(ids.get("contact")).build()));
            assertEquals(0, texts.listMessages(ListMessagesRequest.newBuilder().setContactPhone("+14155550123").build())
                    .getMessagesCount());
        });
        p.put("MessagingService/GetMessage", () -> notFound(() -> texts.getMessage(GetMessageRequest.newBuilder()
                .setId(ids.get("message")).build())));
        p.put("MessagingService/CreateMessageTemplate", () -> texts.createMessageTemplate(
                CreateMessageTemplateRequest.newBuilder().setTemplate(MessageTemplate.newBuilder().setName("hello")
                        .setChannel(MessageChannel.MESSAGE_CHANNEL_SMS).setBody("B's own")).build()));
        p.put("MessagingService/UpdateMessageTemplate", () -> notFound(() -> texts.updateMessageTemplate(
                UpdateMessageTemplateRequest.newBuilder().setTemplate(MessageTemplate.newBuilder()
                        .setId(ids.get("template")).setBody("hijacked")).build())));
        p.put("MessagingService/DeleteMessageTemplate", () -> notFound(() -> texts.deleteMessageTemplate(
                DeleteMessageTemplateRequest.newBuilder().setId(ids.get("template")).build())));
        p.put("MessagingService/ListMessageTemplates", () -> assertFalse(texts.listMessageTemplates(
                ListMessageTemplatesRequest.getDefaultInstance()).getTemplatesList().stream()
                .anyMatch(t -> t.getId().equals(ids.get("template")))));
        p.put("MessagingService/AddSender", () -> expect(Status.Code.ALREADY_EXISTS, () -> texts.addSender(
                AddSenderRequest.newBuilder().setAddress("+14155550188").build())));
        p.put("MessagingService/ListSenders", () -> assertFalse(texts.listSenders(
                ListSendersRequest.getDefaultInstance()).getSendersList().stream()
                .anyMatch(x -> x.getId().equals(ids.get("sender")) || x.getAddress().equals("+14155550188"))));
        p.put("MessagingService/RemoveSender", () -> notFound(() -> texts.removeSender(RemoveSenderRequest.newBuilder()
                .setId(ids.get("sender")).build())));
        p.put("MessagingService/ListOptOuts", () -> assertEquals(0, texts.listOptOuts(
                ListOptOutsRequest.getDefaultInstance()).getOptOutsCount()));
        p.put("MessagingService/ListConsentEvents", () -> assertEquals(0, texts.listConsentEvents(
                ListConsentEventsRequest.newBuilder().setPhoneNumber("+14155550133").build()).getEventsCount()));

        p.put("UserService/CreateUser", () -> b.users().createUser(CreateUserRequest.newBuilder()
                .setEmail("owner@a.example").setRole(Role.ROLE_VIEWER).build()));
        p.put("UserService/GetUser", () -> notFound(() -> b.users().getUser(GetUserRequest.newBuilder().setId(ids.get("user")).build())));
        p.put("UserService/ListUsers", () -> assertDisjoint(ids.values(),
                b.users().listUsers(ListUsersRequest.getDefaultInstance()).getUsersList().stream().map(User::getId).toList()));
        p.put("UserService/UpdateUser", () -> notFound(() -> b.users().updateUser(UpdateUserRequest.newBuilder()
                .setUser(User.newBuilder().setId(ids.get("user")).setRole(Role.ROLE_OWNER))
                .setUpdateMask(FieldMask.newBuilder().addPaths("role")).build())));
        p.put("UserService/DeleteUser", () -> notFound(() -> b.users().deleteUser(DeleteUserRequest.newBuilder().setId(ids.get("owner")).build())));

        p.put("ApiKeyService/CreateApiKey", () -> notFound(() -> b.keys().createApiKey(CreateApiKeyRequest.newBuilder()
                .setName("steal").setRole(Role.ROLE_ADMIN).setUserId(ids.get("user")).build())));
        p.put("ApiKeyService/ListApiKeys", () -> assertDisjoint(ids.values(), b.keys().listApiKeys(
                ListApiKeysRequest.newBuilder().setIncludeRevoked(true).build()).getApiKeysList().stream().map(ApiKey::getId).toList()));
        p.put("ApiKeyService/GetApiKey", () -> notFound(() -> b.keys().getApiKey(GetApiKeyRequest.newBuilder().setId(ids.get("key")).build())));
        p.put("ApiKeyService/RevokeApiKey", () -> notFound(() -> b.keys().revokeApiKey(RevokeApiKeyRequest.newBuilder().setId(ids.get("key")).build())));

        p.put("PlanService/ListPlans", () -> assertFalse(b.plans().listPlans(ListPlansRequest.getDefaultInstance()).getPlansList().isEmpty()));
        p.put("PlanService/GetOrganizationPlan", () -> assertEquals(b.id(),
                b.plans().getOrganizationPlan(GetOrganizationPlanRequest.getDefaultInstance()).getOrganizationId()));
        p.put("PlanService/SetOrganizationPlan", () -> assertEquals(b.id(),
                b.plans().setOrganizationPlan(SetOrganizationPlanRequest.newBuilder().setPlanId("growth").build()).getOrganizationId()));
        p.put("PlanService/SetPlanOverrides", () -> expect(Status.Code.PERMISSION_DENIED, () ->
                b.plans().setPlanOverrides(SetPlanOverridesRequest.newBuilder().setOrganizationId(a.id())
                        .setOverrides(PlanOverrides.newBuilder().setMaxAgents(1)).build())));
        p.put("PlanService/GetEffectivePolicy", () -> assertEquals(b.id(),
                b.plans().getEffectivePolicy(GetEffectivePolicyRequest.getDefaultInstance()).getOrganizationId()));

        p.put("AgentService/CreateAgent", () -> b.agents().createAgent(CreateAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setId(ids.get("agent")).setName("B's").setLanguage("en")).build()));
        p.put("AgentService/GetAgent", () -> notFound(() -> b.agents().getAgent(GetAgentRequest.newBuilder().setId(ids.get("agent")).build())));
        p.put("AgentService/ListAgents", () -> assertDisjoint(ids.values(),
                b.agents().listAgents(ListAgentsRequest.getDefaultInstance()).getAgentsList().stream().map(Agent::getId).toList()));
        p.put("AgentService/ListAgentVersions", () -> notFound(() -> b.agents().listAgentVersions(
                ListAgentVersionsRequest.newBuilder().setId(ids.get("agent")).build())));
        // the deployment's voices, the same for every organisation: B sees them, and nothing of A's
        p.put("AgentService/ListVoices", () -> assertFalse(b.agents().listVoices(ListVoicesRequest.getDefaultInstance())
                .getVoicesList().isEmpty()));
        // a deployment voice speaking the request's own text: nothing of A's to see
        p.put("AgentService/PreviewVoice", () -> assertFalse(b.agents().previewVoice(
                io.switchboard.v1.PreviewVoiceRequest.newBuilder().setText("Hi.").build()).getWav().isEmpty()));
        p.put("AgentService/UpdateAgent", () -> notFound(() -> b.agents().updateAgent(UpdateAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setId(ids.get("agent")).setName("x")).setUpdateMask(nameMask).build())));
        p.put("AgentService/DeleteAgent", () -> notFound(() -> b.agents().deleteAgent(DeleteAgentRequest.newBuilder().setId(ids.get("agent")).build())));

        p.put("ContactService/CreateContact", () -> notFound(() -> b.contacts().createContact(CreateContactRequest.newBuilder()
                .setContact(Contact.newBuilder().setPhoneNumber("+14155550199").addListIds(ids.get("list"))).build())));
        p.put("ContactService/GetContact", () -> notFound(() -> b.contacts().getContact(GetContactRequest.newBuilder().setId(ids.get("contact")).build())));
        p.put("ContactService/ListContacts", () -> {
            assertDisjoint(ids.values(), b.contacts().listContacts(ListContactsRequest.getDefaultInstance())
                    .getContactsList().stream().map(Contact::getId).toList());
            notFoundOrEmpty(() -> b.contacts().listContacts(ListContactsRequest.newBuilder().setListId(ids.get("list")).build())
                    .getContactsList().size());
        });
        p.put("ContactService/UpdateContact", () -> notFound(() -> b.contacts().updateContact(UpdateContactRequest.newBuilder()
                .setContact(Contact.newBuilder().setId(ids.get("contact")).setFirstName("x"))
                .setUpdateMask(FieldMask.newBuilder().addPaths("first_name")).build())));
        p.put("ContactService/DeleteContact", () -> notFound(() -> b.contacts().deleteContact(DeleteContactRequest.newBuilder().setId(ids.get("contact")).build())));
        p.put("ContactService/ImportContacts", () -> expectStreamingFailure(Status.Code.NOT_FOUND, importInto(ids.get("list"))));
        p.put("ContactService/ImportContactRows", () -> notFound(() -> b.contacts().importContactRows(
                io.switchboard.v1.ImportContactRowsRequest.newBuilder()
                        .setOptions(io.switchboard.v1.ImportOptions.newBuilder().setListId(ids.get("list")))
                        .addHeader("phone_number").addRows(io.switchboard.v1.ImportRow.newBuilder().setLine(2)
                                .addCells("+14155550188")).build())));
        p.put("ContactService/ExportContacts", () -> {
            StringBuilder all = new StringBuilder();
            b.contacts().exportContacts(ExportContactsRequest.newBuilder().setFormat(ExportContactsRequest.Format.FORMAT_CSV).build())
                    .forEachRemaining(c -> all.append(c.getData().toStringUtf8()));
            // both organisations have a contact "ext-1"; only A's id would betray a leak
            assertFalse(all.toString().contains(ids.get("contact")), all.toString());
            assertTrue(all.toString().contains(b.ids().get("contact")), "B's export holds B's contact");
            notFoundOrEmpty(() -> {
                Iterator<ExportContactsChunk> it = b.contacts().exportContacts(ExportContactsRequest.newBuilder()
                        .setFormat(ExportContactsRequest.Format.FORMAT_JSON_LINES).setListId(ids.get("list")).build());
                int n = 0;
                while (it.hasNext()) {
                    n += it.next().getData().size();
                }
                return n;
            });
        });
        p.put("ContactService/CreateContactList", () -> b.contacts().createContactList(CreateContactListRequest.newBuilder()
                .setContactList(ContactList.newBuilder().setId(ids.get("list")).setName("B's list")).build()));
        p.put("ContactService/GetContactList", () -> notFound(() -> b.contacts().getContactList(GetContactListRequest.newBuilder().setId(ids.get("list")).build())));
        p.put("ContactService/ListContactLists", () -> assertDisjoint(ids.values(), b.contacts().listContactLists(
                ListContactListsRequest.getDefaultInstance()).getContactListsList().stream().map(ContactList::getId).toList()));
        p.put("ContactService/UpdateContactList", () -> notFound(() -> b.contacts().updateContactList(UpdateContactListRequest.newBuilder()
                .setContactList(ContactList.newBuilder().setId(ids.get("list")).setName("x")).setUpdateMask(nameMask).build())));
        p.put("ContactService/DeleteContactList", () -> notFound(() -> b.contacts().deleteContactList(
                DeleteContactListRequest.newBuilder().setId(ids.get("list")).build())));

        p.put("CampaignService/CreateCampaign", () -> notFound(() -> b.campaigns().createCampaign(CreateCampaignRequest.newBuilder()
                .setCampaign(Campaign.newBuilder().setName("x").setAgentId(ids.get("agent")).setContactListId(ids.get("list"))
                        .setCallerId("+14155550100")).build())));
        p.put("CampaignService/GetCampaign", () -> notFound(() -> b.campaigns().getCampaign(GetCampaignRequest.newBuilder().setId(ids.get("campaign")).build())));
        p.put("CampaignService/ListCampaigns", () -> assertDisjoint(ids.values(), b.campaigns().listCampaigns(
                ListCampaignsRequest.getDefaultInstance()).getCampaignsList().stream().map(Campaign::getId).toList()));
        p.put("CampaignService/UpdateCampaign", () -> notFound(() -> b.campaigns().updateCampaign(UpdateCampaignRequest.newBuilder()
                .setCampaign(Campaign.newBuilder().setId(ids.get("campaign")).setName("x")).setUpdateMask(nameMask).build())));
        p.put("CampaignService/DeleteCampaign", () -> notFound(() -> b.campaigns().deleteCampaign(DeleteCampaignRequest.newBuilder().setId(ids.get("campaign")).build())));
        p.put("CampaignService/StartCampaign", () -> notFound(() -> b.campaigns().startCampaign(transition(ids.get("campaign")))));
        p.put("CampaignService/PauseCampaign", () -> notFound(() -> b.campaigns().pauseCampaign(transition(ids.get("running")))));
        p.put("CampaignService/ResumeCampaign", () -> notFound(() -> b.campaigns().resumeCampaign(transition(ids.get("running")))));
        p.put("CampaignService/CompleteCampaign", () -> notFound(() -> b.campaigns().completeCampaign(transition(ids.get("running")))));
        p.put("CampaignService/GetCampaignStats", () -> notFound(() -> b.campaigns().getCampaignStats(
                GetCampaignStatsRequest.newBuilder().setId(ids.get("campaign")).build())));
        p.put("CampaignService/ListCampaignContacts", () -> notFound(() -> b.campaigns().listCampaignContacts(
                ListCampaignContactsRequest.newBuilder().setCampaignId(ids.get("campaign")).build())));
        p.put("CampaignService/ListDialAttempts", () -> notFound(() -> b.campaigns().listDialAttempts(
                ListDialAttemptsRequest.newBuilder().setCampaignId(ids.get("campaign")).build())));
        p.put("CampaignService/CancelCampaign", () -> notFound(() -> b.campaigns().cancelCampaign(transition(ids.get("running")))));

        p.put("UsageService/GetUsage", () -> assertEquals(42_000, b.usage().getUsage(usageToday()).getTotals().getCallMilliseconds(),
                "B sees its own usage only"));

        var audit = AuditServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(b.ownerKey()));
        p.put("AuditService/ListAuditEntries", () -> {
            List<AuditEntry> seen = audit.listAuditEntries(ListAuditEntriesRequest.newBuilder().setPageSize(1000).build())
                    .getEntriesList();
            assertFalse(seen.isEmpty(), "B's own actions are audited");
            assertDisjoint(ids.values(), seen.stream().map(AuditEntry::getResourceId).toList());
            assertFalse(seen.stream().anyMatch(e -> e.getResourceId().equals(a.id())));
        });
        p.put("AuditService/ExportAuditEntries", () -> {
            List<String> resources = new ArrayList<>();
            audit.exportAuditEntries(AuditFilter.getDefaultInstance()).forEachRemaining(e -> resources.add(e.getResourceId()));
            assertDisjoint(ids.values(), resources);
            assertFalse(resources.contains(a.id()));
        });
        p.put("AuditService/VerifyChain", () -> {
            ChainVerification v = audit.verifyChain(VerifyChainRequest.getDefaultInstance());
            assertTrue(v.getIntact(), v.getReason());
            assertEquals(audit.listAuditEntries(ListAuditEntriesRequest.newBuilder().setPageSize(1).build())
                    .getEntries(0).getSeq(), v.getLastSeq(), "B's chain, not A's");
        });
        return p;
    }

    private static CampaignTransitionRequest transition(String id) {
        return CampaignTransitionRequest.newBuilder().setId(id).build();
    }

    private CompletableFuture<ImportContactsResponse> importInto(String listId) {
        SingleResponse<ImportContactsResponse> result = new SingleResponse<>();
        StreamObserver<ImportContactsRequest> in = b.contactsAsync().importContacts(result);
        in.onNext(ImportContactsRequest.newBuilder().setOptions(ImportOptions.newBuilder().setListId(listId)).build());
        in.onNext(ImportContactsRequest.newBuilder().setChunk(ByteString.copyFromUtf8(
                "external_id,phone_number\nb-1,+14155550177\n")).build());
        in.onCompleted();
        return result.future();
    }

    private static void expectStreamingFailure(Status.Code code, CompletableFuture<?> f) {
        try {
            Object v = f.get(20, TimeUnit.SECONDS);
            fail("expected " + code + " but got " + v);
        } catch (java.util.concurrent.ExecutionException e) {
            assertEquals(code, Status.fromThrowable(e.getCause()).getCode(), e.getCause().toString());
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    /** A foreign list filter must answer NOT_FOUND or nothing at all. */
    private static void notFoundOrEmpty(java.util.function.IntSupplier call) {
        try {
            assertEquals(0, call.getAsInt());
        } catch (StatusRuntimeException e) {
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.getStatus().toString());
        }
    }

    private static void assertDisjoint(java.util.Collection<String> foreign, List<String> seen) {
        for (String id : seen) {
            assertFalse(foreign.contains(id), "organisation B saw A's " + id);
        }
    }

    @Test
    void everyRpcHasATenancyProbe() {
        Set<String> rpcs = new TreeSet<>();
        for (Descriptors.FileDescriptor f : List.of(OrganizationsProto.getDescriptor(), UsersProto.getDescriptor(),
                ApiKeysProto.getDescriptor(), PlansProto.getDescriptor(), AgentsProto.getDescriptor(),
                ContactsProto.getDescriptor(), CampaignsProto.getDescriptor(), UsageProto.getDescriptor(),
                AuditProto.getDescriptor(), RetentionProto.getDescriptor(), WebhooksProto.getDescriptor(),
                ComplianceProto.getDescriptor(), MessagingProto.getDescriptor(),
                FollowUpsProto.getDescriptor())) {
            for (Descriptors.ServiceDescriptor s : f.getServices()) {
                s.getMethods().forEach(m -> rpcs.add(s.getName() + "/" + m.getName()));
            }
        }
        Set<String> missing = new TreeSet<>(rpcs);
        missing.removeAll(probes().keySet());
        assertTrue(missing.isEmpty(), "RPCs without a tenancy probe: " + missing);
        Set<String> stale = new TreeSet<>(probes().keySet());
        stale.removeAll(rpcs);
        assertTrue(stale.isEmpty(), "probes for RPCs that no longer exist: " + stale);
    }

    @Test
    void anotherOrganisationsKeyCannotReadListUpdateOrDeleteThroughAnyRpc() {
        List<String> failures = new ArrayList<>();
        probes().forEach((rpc, probe) -> {
            try {
                probe.run();
            } catch (AssertionError | RuntimeException e) {
                failures.add(rpc + ": " + e.getMessage());
            }
        });
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertEquals(before, snapshot(a), "organisation A's data changed");
        assertEquals(messagingBefore, messagingSnapshot(a), "organisation A's texts changed");
        assertEquals(a.id(), a.orgs().getOrganization(GetOrganizationRequest.getDefaultInstance()).getId());
    }
}
