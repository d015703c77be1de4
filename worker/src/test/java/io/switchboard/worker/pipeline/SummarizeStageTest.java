package io.switchboard.worker.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import io.switchboard.agents.AgentSpec;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.storage.ObjectStore;
import io.switchboard.summaries.CallSummarizer;
import io.switchboard.summaries.ModelUsage;
import io.switchboard.summaries.SummaryRequest;
import io.switchboard.summaries.SummaryResult;
import io.switchboard.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** Transcripts of HIPAA-mode organisations reach only summarisers covered by a BAA. */
class SummarizeStageTest {

    /** Summarising touches no recording; a client that would fail if it did. */
    private static final ObjectStore UNUSED_STORE = new ObjectStore("http://127.0.0.1:9", "x", "y", "us-east-1", "none");

    /** A summariser at the boundary we cannot reach (a remote LLM vendor), counting what it was sent. */
    private record Counting(String provider, boolean baaCovered, AtomicInteger sent) implements CallSummarizer {
        @Override
        public SummaryResult summarize(SummaryRequest request) {
            sent.incrementAndGet();
            return new SummaryResult(Optional.of("summary by " + provider), Map.of(), Optional.empty(), provider,
                    ModelUsage.NONE, List.of());
        }
    }

    @Test
    void aHipaaModeCallNeverGoesToAProviderWithoutABaa() {
        Fixtures f = Fixtures.fresh();
        var dsl = f.plane.database().dsl();
        CallService calls = f.calls(UNUSED_STORE);
        Counting remote = new Counting("openai:gpt-4o-mini", false, new AtomicInteger());
        Counting covered = new Counting("in-process", true, new AtomicInteger());
        SummarizeStage stage = new SummarizeStage(dsl, calls, f.plane.agents(), remote, () -> covered, f.plane.usage());

        Fixtures.Tenant clinic = f.tenant("Clinic", "enterprise");
        f.plane.organizations().update(clinic.owner(), Optional.empty(), Optional.of(true));
        Fixtures.Tenant shop = f.tenant("Shop", "enterprise");
        for (Fixtures.Tenant t : List.of(clinic, shop)) {
            String agent = f.plane.agents().create(t.owner(), new AgentSpec("A", "en-US", "", "", "", "", List.of())).id()
                    .toString();
            Call c = calls.open(t.owner(), new CallSpec(agent, "", "", Call.Direction.INBOUND, "", "",
                    AudioFormat.Encoding.MULAW, 8000, 1, AudioFormat.Container.RAW));
            var org = t.owner().organizationId();
            c = calls.end(org, c.id(), Call.State.ENDED, "hangup");
            calls.saveSegment(org, c.id(), new TranscriptSegment(0, 0, "customer", 0, 900, "my blood pressure is high",
                    List.of(), "recording"));
            stage.run(new CallJob(c, null));
            String by = calls.summary(org, c.id()).orElseThrow().provider();
            assertEquals(t == clinic ? "in-process" : "openai:gpt-4o-mini", by);
        }
        assertEquals(1, remote.sent().get(), "only the non-HIPAA call went to the remote provider");
        assertEquals(1, covered.sent().get());
    }
}
