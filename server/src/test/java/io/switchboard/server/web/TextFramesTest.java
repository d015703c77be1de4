package io.switchboard.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;

import org.junit.jupiter.api.Test;

/** WebSocket text fragments put back together within a bound. */
class TextFramesTest {

    @Test
    void fragmentsMakeOneMessageOnTheLastAndTheNextMessageStartsAfresh() throws TextFrames.TooLarge {
        TextFrames frames = new TextFrames(100);
        assertEquals(Optional.empty(), frames.add("{\"type\":", false));
        assertEquals(Optional.empty(), frames.add("", false));
        assertEquals(Optional.of("{\"type\":\"end\"}"), frames.add("\"end\"}", true));
        assertEquals(0, frames.pending());
        assertEquals(Optional.of("{}"), frames.add("{}", true), "an unfragmented message");
        assertEquals(Optional.of(""), frames.add("", true), "an empty message is a message (the codec refuses it)");
    }

    @Test
    void theBoundItselfIsAllowedAndOneCharacterMoreIsRefusedDroppingWhatArrived() throws TextFrames.TooLarge {
        TextFrames frames = new TextFrames(10);
        assertEquals(Optional.empty(), frames.add("12345", false));
        assertEquals(Optional.of("1234567890"), frames.add("67890", true), "exactly the bound");

        assertEquals(Optional.empty(), frames.add("123456", false));
        var e = assertThrows(TextFrames.TooLarge.class, () -> frames.add("78901", false));
        assertEquals("a text message exceeds 10 characters", e.getMessage());
        assertEquals(0, frames.pending(), "the refused message is not kept");
        assertEquals(Optional.of("next"), frames.add("next", true));

        assertThrows(TextFrames.TooLarge.class, () -> frames.add("12345678901", true), "one fragment over the bound");
    }

    @Test
    void aBoundThatAdmitsNothingIsABug() {
        assertThrows(IllegalArgumentException.class, () -> new TextFrames(0));
    }
}
