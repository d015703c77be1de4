package io.switchboard.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Which frame's arrival a turn's latency counts from. */
class ArrivalsTest {

    @Test
    void theArrivalOfTheFrameHoldingTheMomentIsFound() {
        var a = new ConversationEngine.Arrivals();
        for (int i = 1; i <= 10; i++) {
            a.add(i * 20L, 1000L * i); // frame i covers ((i-1)*20, i*20] ms and arrived at 1000*i ns
        }
        assertEquals(1000, a.of(0));
        assertEquals(1000, a.of(20));
        assertEquals(2000, a.of(21));
        assertEquals(10_000, a.of(200));
        assertEquals(0, a.of(201), "not arrived yet");
    }

    @Test
    void framesOlderThanTheLastTenSecondsAreForgotten() {
        var a = new ConversationEngine.Arrivals();
        for (int i = 1; i <= 600; i++) {
            a.add(i * 20L, i);
        }
        assertEquals(0, a.of(20), "no longer kept: counted on the call's clock alone");
        assertEquals(600, a.of(12_000));
        assertEquals(590, a.of(11_800));
    }
}
