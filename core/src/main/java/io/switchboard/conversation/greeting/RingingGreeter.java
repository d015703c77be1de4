package io.switchboard.conversation.greeting;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.switchboard.agents.Templates;
import io.switchboard.conversation.StoredConversations;
import io.switchboard.conversation.brain.Conversation;
import io.switchboard.conversation.brain.Sentences;
import io.switchboard.conversation.tts.SpeechStream;
import io.switchboard.conversation.tts.Voices;
import io.switchboard.dialer.Dialer;
import io.switchboard.dialer.Telephony;

/**
 * Makes a campaign call's greeting while its phone rings: the agent's {@code first_message} rendered for the contact
 * and campaign, synthesised sentence by sentence in the agent's voice at the carrier's rate, and left in
 * {@link PreparedGreetings} for whichever server the call's audio reaches, so the caller hears it the moment they
 * answer instead of after a synthesis. Whatever goes wrong here only costs that head start: the call then
 * synthesises its greeting itself.
 */
public final class RingingGreeter implements Dialer.WhileRinging {

    private static final Logger LOG = Logger.getLogger(RingingGreeter.class.getName());

    private final StoredConversations conversations;
    private final Voices voices;
    private final PreparedGreetings store;
    private final int sampleRate;
    private final Duration keepFor;
    private final Clock clock;

    /**
     * @param sampleRate the rate the call's agent will speak at (the carrier's 8 kHz)
     * @param keepFor    how long a greeting waits for its call to be answered (the ring timeout and a margin)
     */
    public RingingGreeter(StoredConversations conversations, Voices voices, PreparedGreetings store, int sampleRate,
                          Duration keepFor, Clock clock) {
        this.conversations = conversations;
        this.voices = voices;
        this.store = store;
        this.sampleRate = sampleRate;
        this.keepFor = keepFor;
        this.clock = clock;
    }

    @Override
    public void ringing(Telephony.DialRequest r) {
        try {
            long t0 = System.nanoTime();
            Conversation c = conversations.ringing(r.organizationId(), r.campaignId(), r.contactId(), clock.instant());
            String first = c.agent().spec().firstMessage();
            if (first == null || first.isBlank()) {
                return; // an LLM brain makes up its opening on the call
            }
            Voices.Resolved voice = voices.forCall(c.agent().spec().voice());
            List<PreparedGreeting.Sentence> said = new ArrayList<>();
            for (String sentence : Sentences.split(Templates.render(first, c.templateValues()))) {
                try (SpeechStream s = voice.synthesize(sentence, sampleRate)) {
                    said.add(new PreparedGreeting.Sentence(sentence, s.readAll()));
                }
            }
            PreparedGreeting g = new PreparedGreeting(voice.voice().id(), sampleRate, said);
            boolean stored = store.store(r.organizationId(), r.attemptId(), g, clock.instant().plus(keepFor));
            LOG.fine(() -> "attempt " + r.attemptId() + ": greeting of " + g.durationMs() + " ms "
                    + (stored ? "ready" : "not needed (answered first)") + " after "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not prepare the greeting of attempt " + r.attemptId()
                    + "; the call synthesises it when answered", e);
        }
    }

    /** Greetings expired, or left by attempts that finished unanswered. */
    @Override
    public void sweep() {
        int n = store.sweep();
        if (n > 0) {
            LOG.fine(() -> n + " unused greeting(s) swept");
        }
    }
}
