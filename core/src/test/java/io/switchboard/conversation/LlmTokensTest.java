package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.switchboard.summaries.ModelUsage;

class LlmTokensTest {

    private final UUID org = UUID.randomUUID();
    private final List<String> late = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(1);
    private final LlmTokens tokens = new LlmTokens((o, call, u) -> late.add(o + "/" + call + "/" + u), now::get);

    @Test
    void aCallsRequestsAddUpUntilTaken() {
        UUID call = UUID.randomUUID();
        tokens.record(org, call, new ModelUsage(10, 2));
        tokens.record(org, call, new ModelUsage(5, 1));

        assertEquals(new ModelUsage(15, 3), tokens.take(call));
        assertEquals(ModelUsage.NONE, tokens.take(call), "taken once");
        assertEquals(List.of(), late);
    }

    @Test
    void tokensReportedAfterTheCallWasTakenGoToTheLateMeterNotIntoAnEntryNobodyTakes() {
        UUID call = UUID.randomUUID();
        tokens.record(org, call, new ModelUsage(10, 2));
        tokens.take(call);

        tokens.record(org, call, new ModelUsage(7, 3));

        assertEquals(List.of(org + "/" + call + "/" + new ModelUsage(7, 3)), late);
        assertEquals(ModelUsage.NONE, tokens.take(call));
    }

    @Test
    void takenCallsAreForgottenAfterAWhile() {
        for (int i = 0; i < 100; i++) {
            UUID call = UUID.randomUUID();
            tokens.record(org, call, new ModelUsage(1, 1));
            tokens.take(call);
        }
        assertEquals(100, tokens.held());

        now.addAndGet(LlmTokens.REMEMBER_TAKEN_NANOS + TimeUnit.MINUTES.toNanos(2));
        UUID running = UUID.randomUUID();
        tokens.record(org, running, new ModelUsage(1, 1));
        tokens.take(UUID.randomUUID());

        assertEquals(2, tokens.held(), "the running call and the one just taken");
        assertEquals(new ModelUsage(1, 1), tokens.take(running));
    }
}
