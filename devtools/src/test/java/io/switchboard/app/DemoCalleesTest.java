package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;

import io.switchboard.devtools.DevStack;
import org.junit.jupiter.api.Test;

/** The demo campaign calls exactly the numbers the dev stack's softphone has personas for. */
class DemoCalleesTest {

    @Test
    void everyDemoNumberHasAPersona() {
        assertEquals(Set.copyOf(CampaignClient.DEMO_NUMBERS), DevStack.DEMO_CALLEES.keySet());
    }
}
