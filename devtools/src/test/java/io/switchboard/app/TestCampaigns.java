package io.switchboard.app;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import io.grpc.ManagedChannel;
import io.switchboard.v1.Campaign;
import io.switchboard.v1.CampaignServiceGrpc;
import io.switchboard.v1.CampaignTransitionRequest;
import io.switchboard.v1.Contact;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateCampaignRequest;
import io.switchboard.v1.CreateContactListRequest;
import io.switchboard.v1.CreateContactRequest;
import io.switchboard.v1.DialAttempt;
import io.switchboard.v1.GetCampaignRequest;
import io.switchboard.v1.ListDialAttemptsRequest;
import io.switchboard.v1.RetryPolicy;

/** Campaigns as the carrier end-to-end tests run them: one organisation's contacts dialled once, awaited. */
final class TestCampaigns {

    private final ContactServiceGrpc.ContactServiceBlockingStub contacts;
    private final CampaignServiceGrpc.CampaignServiceBlockingStub campaigns;

    TestCampaigns(ManagedChannel channel, String key) {
        this.contacts = ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        this.campaigns = CampaignServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
    }

    /** A fixed-offset zone where it is now between {@code from} and {@code to} o'clock (inside calling windows). */
    static String zoneAt(int from, int to) {
        for (int h = -12; h <= 14; h++) {
            ZoneId z = ZoneId.of(h == 0 ? "Etc/GMT" : "Etc/GMT" + (h > 0 ? "-" : "+") + Math.abs(h));
            int hour = Instant.now().atZone(z).getHour();
            if (hour >= from && hour < to) {
                return z.getId();
            }
        }
        throw new AssertionError("no zone at " + from + "-" + to);
    }

    /** Dials each number once with {@code agentId}, in daytime, and waits for the campaign to complete. */
    List<DialAttempt> dialOnce(String agentId, Duration limit, String... numbers) throws InterruptedException {
        String list = contacts.createContactList(CreateContactListRequest.newBuilder().setContactList(
                io.switchboard.v1.ContactList.newBuilder().setName("List " + UUID.randomUUID())).build()).getId();
        String zone = zoneAt(10, 18);
        for (String n : numbers) {
            contacts.createContact(CreateContactRequest.newBuilder().setContact(Contact.newBuilder().setPhoneNumber(n)
                    .setTimeZone(zone).setFirstName("Sam").addListIds(list)).build());
        }
        Campaign c = campaigns.createCampaign(CreateCampaignRequest.newBuilder().setCampaign(Campaign.newBuilder()
                .setName("Campaign " + UUID.randomUUID()).setAgentId(agentId).setContactListId(list)
                .setCallerId("+14155550100").setMaxConcurrency(numbers.length)
                .setRetryPolicy(RetryPolicy.newBuilder().setMaxAttempts(1))).build());
        campaigns.startCampaign(CampaignTransitionRequest.newBuilder().setId(c.getId()).build());
        await("the campaign to complete", limit, () -> campaigns.getCampaign(GetCampaignRequest.newBuilder()
                .setId(c.getId()).build()).getState() == Campaign.State.STATE_COMPLETED);
        return campaigns.listDialAttempts(ListDialAttemptsRequest.newBuilder().setCampaignId(c.getId())
                .setPageSize(100).build()).getAttemptsList();
    }

    static void await(String what, Duration limit, BooleanSupplier done) throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + limit + " waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    static Map<String, String> byNumber(List<DialAttempt> attempts) {
        Map<String, String> out = new java.util.TreeMap<>();
        attempts.forEach(a -> out.put(a.getToNumber(), a.getOutcome()));
        return out;
    }
}
