package io.switchboard.worker.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.messaging.Channel;
import io.switchboard.messaging.FollowUps;
import io.switchboard.messaging.MessagingService;
import io.switchboard.storage.ObjectStore;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import org.junit.jupiter.api.Test;

/** The follow-up stage: skipped without a matching rule, sends once, and a rerun reports nothing new. */
class FollowUpStageTest {

    private static final Instant NOON = ZonedDateTime.of(2026, 12, 7, 12, 0, 0, 0, ZoneId.of("America/New_York")).toInstant();
    /** The stage touches no recording; a client that would fail if it did. */
    private static final ObjectStore UNUSED_STORE = new ObjectStore("http://127.0.0.1:9", "x", "y", "us-east-1", "none");

    @Test
    void aMatchingCallSendsOnceAndARerunSendsNothing() {
        Fixtures f = Fixtures.fresh(new MutableClock(NOON));
        CallService calls = f.calls(UNUSED_STORE);
        Fixtures.Tenant t = f.tenant("Acme", "growth");
        var org = t.owner().organizationId();
        f.plane.messaging().addSender(t.owner(), "+14155550100");
        String agent = f.plane.agents().create(t.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id().toString();
        var contact = f.plane.contacts().create(t.owner(), new ContactSpec("", "+12125550123", "Ada", "", "", "{}",
                List.of(), "America/New_York", List.of()), "");
        var template = f.plane.messaging().createTemplate(t.owner(), new MessagingService.TemplateSpec("callback",
                Optional.of(Channel.SMS), Optional.empty(), "We will call you back, {{first_name}}.", ""));
        f.plane.followUps().create(t.owner(), new FollowUps.RuleSpec("", agent, "callback", "", "", "",
                template.id().toString(), ""));
        FollowUpStage stage = new FollowUpStage(f.plane.followUps());

        Call other = calls.open(t.owner(), new CallSpec(agent, "", contact.id().toString(), Call.Direction.OUTBOUND,
                "+14155550100", "+12125550123", AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
        calls.saveLiveOutcome(org, other.id(), Map.of(), Optional.of("not_interested"));
        assertTrue(stage.run(new CallJob(calls.end(org, other.id(), Call.State.ENDED, "bye"), null)).skipped());

        Call c = calls.open(t.owner(), new CallSpec(agent, "", contact.id().toString(), Call.Direction.OUTBOUND,
                "+14155550100", "+12125550123", AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
        calls.saveLiveOutcome(org, c.id(), Map.of(), Optional.of("callback"));
        Call ended = calls.end(org, c.id(), Call.State.ENDED, "bye");
        PipelineStage.Result first = stage.run(new CallJob(ended, null));
        assertFalse(first.skipped());
        assertEquals("1 sent", first.detail());
        assertTrue(stage.run(new CallJob(ended, null)).skipped(), "a rerun sends nothing");
        assertEquals(1, f.plane.followUps().forCall(org, c.id()).size());
        assertEquals(List.of(), f.plane.followUps().forCall(org, other.id()));
    }
}
