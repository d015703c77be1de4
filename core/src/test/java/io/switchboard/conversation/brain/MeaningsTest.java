package io.switchboard.conversation.brain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.switchboard.agents.CaptureVariable;
import io.switchboard.agents.Flow;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Intents and enum choices by words and by MiniLM similarity, with paraphrases that must and must not match. */
class MeaningsTest {

    private static final Meanings MEANINGS = Meanings.shared();

    private static final Map<String, List<String>> INTENTS = Map.of(
            "interested", List.of("yes i'm interested", "tell me more", "sounds good"),
            "not_interested", List.of("not interested", "no thanks"),
            "callback", List.of("call me later", "i'm busy right now", "not a good time"));

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "i'm not interested|not_interested",
            "im not interested thank you|not_interested",
            "no thanks|not_interested",
            "i'd love to hear more|interested",
            "that sounds great|interested",
            "sure tell me more about it|interested",
            "this isn't a good moment|callback",
            "i'm driving at the moment|callback",
            "can you ring me tomorrow instead|callback",
            "could you call me later|callback",
    })
    void intentParaphrasesMatch(String answer, String intent) {
        assertEquals(Optional.of(intent), MEANINGS.match(answer, INTENTS, FlowBrain.INTENT_THRESHOLD,
                FlowBrain.INTENT_MARGIN).map(Meanings.Match::label), answer);
    }

    @ParameterizedTest
    @ValueSource(strings = {"what's the weather like", "my dog is called max", "i want pizza", "how much does it cost",
            "i don't know", "purple"})
    void unrelatedAnswersMatchNoIntent(String answer) {
        assertEquals(Optional.empty(), MEANINGS.match(answer, INTENTS, FlowBrain.INTENT_THRESHOLD,
                FlowBrain.INTENT_MARGIN).map(Meanings.Match::label), answer);
    }

    private static final CaptureVariable CONTACT_BY = new CaptureVariable("contact_by", CaptureVariable.Type.ENUM, "",
            List.of("phone", "email", "text_message"), false);
    private static final Flow.Ask ASK = new Flow.Ask("contact_by", "How should we reach you?", "",
            List.of(new Flow.Choice("phone", List.of("call", "ring")), new Flow.Choice("text_message", List.of("sms"))),
            "next");

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "phone|phone",
            "by phone please|phone",
            "just give me a ring|phone",
            "call me|phone",
            "email|email",
            "send me an email|email",
            "e-mail|email",
            "by mail please|email",
            "text message|text_message",
            "sms|text_message",
            "just text me|text_message",
    })
    void enumChoicesBySynonymsAndMeaning(String answer, String value) {
        assertEquals(Optional.of(value), Answers.read(CONTACT_BY, ASK, answer, java.time.LocalDate.now(), MEANINGS),
                answer);
    }

    @ParameterizedTest
    @ValueSource(strings = {"i don't care", "whatever", "purple", "phone or email"})
    void unclearEnumAnswersMatchNothing(String answer) {
        assertEquals(Optional.empty(), Answers.read(CONTACT_BY, ASK, answer, java.time.LocalDate.now(), MEANINGS),
                answer);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "take me off your list|DO_NOT_CALL",
            "please take me off your calling list|DO_NOT_CALL",
            "TAKE ME OFF YOUR LIST.|DO_NOT_CALL",
            "remove my number from your list|DO_NOT_CALL",
            "stop calling me|DO_NOT_CALL",
            "don't call me again|DO_NOT_CALL",
            "dont ever call this number again|DO_NOT_CALL",
            "put me on your do not call list|DO_NOT_CALL",
            "i never want to hear from you people again|DO_NOT_CALL",
            "can i speak to a real person|HUMAN",
            "let me talk to a human being|HUMAN",
            "transfer me to an operator|HUMAN",
            "can i speak to someone|HUMAN",
            "i want a live agent|HUMAN",
            "who is this|IDENTITY",
            "who's calling|IDENTITY",
            "whos this|IDENTITY",
            "who am i speaking with|IDENTITY",
            "what company are you with|IDENTITY",
            "am i talking to a robot|IDENTITY",
    })
    void builtInIntentsAreHeard(String answer, String kind) {
        assertEquals(Optional.of(BuiltInIntents.Kind.valueOf(kind)), BuiltInIntents.recognise(answer, MEANINGS), answer);
    }

    @ParameterizedTest
    @ValueSource(strings = {"i'm not interested", "no thanks", "can you call me back later", "call me tomorrow",
            "don't call me before noon", "i'd like to add my wife to the list", "yes", "no", "twenty three",
            "who are you calling for", "how much does it cost", "sure tell me more", "the person who handles that is away",
            "i'm busy right now"})
    void lookAlikesTriggerNoBuiltInIntent(String answer) {
        assertEquals(Optional.empty(), BuiltInIntents.recognise(answer, MEANINGS), answer);
    }
}
