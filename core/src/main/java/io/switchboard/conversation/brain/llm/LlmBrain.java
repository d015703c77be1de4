package io.switchboard.conversation.brain.llm;

import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.model.output.TokenUsage;
import io.switchboard.common.SwitchboardException;
import io.switchboard.conversation.brain.Brain;
import io.switchboard.conversation.brain.Conversation;
import io.switchboard.conversation.brain.DoNotCallRequests;
import io.switchboard.conversation.brain.ReplySink;
import io.switchboard.conversation.brain.SmsResult;
import io.switchboard.summaries.CapturedValue;
import io.switchboard.summaries.ModelUsage;
import io.switchboard.summaries.ProviderFailure;

/**
 * A {@link Brain} that lets a language model (LangChain4j streaming chat: an OpenAI-compatible endpoint or
 * Ollama, see {@link LlmBrains}) decide what the agent says. The model gets the agent's system prompt, the
 * contact's fields, the variables captured so far and the call's turns; its tokens are cut into sentences
 * ({@link SentenceSplitter}) and each is handed to {@link ReplySink#say} as soon as it is complete, so synthesis
 * starts before the model has finished. The model acts on the call through {@link CallTools}.
 *
 * <p>A provider that is slow or failing never leaves the caller in silence: no first token within
 * {@link LlmSettings#firstTokenTimeout()}, a 429, a 5xx, or a stream that breaks or stalls each get the holding
 * phrase and a bounded retry with backoff (the provider's Retry-After when it sends one, or giving up at
 * once when it asks for longer than {@link LlmSettings#maxRetryAfter()}); what was already said is kept and the
 * model is asked to continue from there. After the last attempt the agent apologises and transfers the caller (when the agent has a
 * transfer number) or says goodbye and ends the call.
 *
 * <p>Each reply runs on its own virtual thread; {@link ReplySink} is called from it. A newer turn of the same
 * call supersedes the reply in flight, which then stops without calling {@code done()}.
 */
public final class LlmBrain implements Brain {

    private static final Logger LOG = Logger.getLogger(LlmBrain.class.getName());
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_.]+)\\s*}}");

    static final String VOICE_RULES = """
            You are speaking on a phone call; everything you write is read aloud. Reply in short spoken \
            sentences, without lists, markdown, emojis or URLs. Use the tools to act on the call: say goodbye \
            before ending it, tell the caller before transferring them, and record the values the caller states. \
            The caller's words reach you through a speech recogniser on a phone line and may be misheard ("take me \
            a lot your list" for "take me off your list"). If the caller asks in any words not to be called again \
            (stop calling, don't call me, remove my number, take me off your list, unsubscribe), or probably did \
            through misheard words, use add_to_do_not_call at once: missing such a request breaks the law.""";
    static final String OPENING = "[The call was just answered. Greet the caller.]";
    static final String CUT_OFF = "[Your reply was cut off after the words above. Continue from there "
            + "without repeating yourself.]";

    private final StreamingChatModel model;
    private final LlmSettings settings;
    private final Clock clock;
    private final TokenMeter meter;
    private final Map<UUID, Reply> inFlight = new ConcurrentHashMap<>();

    public LlmBrain(StreamingChatModel model, LlmSettings settings, Clock clock, TokenMeter meter) {
        this.model = model;
        this.settings = settings;
        this.clock = clock;
        this.meter = meter;
    }

    public String provider() {
        return settings.provider();
    }

    public boolean baaCovered() {
        return settings.baaCovered();
    }

    /**
     * Refuses a HIPAA-mode organisation a provider no BAA covers: call it when an agent using this brain is saved
     * and when a call starts. {@link #start} and the turn methods check it too, before anything is sent.
     *
     * @throws SwitchboardException.FailedPrecondition naming the provider and the setting to change
     */
    public void requireAllowed(boolean hipaaMode) {
        if (hipaaMode && !settings.baaCovered()) {
            throw new SwitchboardException.FailedPrecondition("HIPAA_PROVIDER_NOT_COVERED",
                    "HIPAA mode is on and the conversation LLM provider '" + settings.provider()
                            + "' is not covered by a business associate agreement; set its baa-covered setting "
                            + "once one is signed, or use the flow brain");
        }
    }

    @Override
    public void start(Conversation c, ReplySink out) {
        requireAllowed(c.hipaaMode());
        String first = c.agent().spec().firstMessage();
        if (first == null || first.isBlank()) {
            launch(c, OPENING, out);
            return;
        }
        cancel(c);
        String greeting = render(first, c.contact());
        c.addTurn(Conversation.Speaker.AGENT, greeting);
        var splitter = new SentenceSplitter();
        splitter.add(greeting).forEach(out::say);
        splitter.flush().ifPresent(out::say);
        out.done();
    }

    /** What the model is told after the code has put a caller who asked on the do-not-call list. */
    static final String DO_NOT_CALL_HEARD = "[The caller asked not to be called again. Their number is already on "
            + "the do-not-call list. Apologise briefly, then call " + CallTools.END_CALL + " with disposition "
            + CallTools.DO_NOT_CALL + ".]";

    @Override
    public void onCallerTurn(Conversation c, String text, ReplySink out) {
        requireAllowed(c.hipaaMode());
        List<Conversation.Turn> h = c.history();
        boolean inHistory = !h.isEmpty() && h.getLast().speaker() == Conversation.Speaker.CALLER
                && h.getLast().text().strip().equals(text.strip());
        if (!inHistory) {
            c.addTurn(Conversation.Speaker.CALLER, text);
        }
        if (DoNotCallRequests.heard(text)) {
            // the law asks for this at once: not left to the model's choice of tools
            out.addToDoNotCall();
            launch(c, DO_NOT_CALL_HEARD, out);
            return;
        }
        launch(c, null, out);
    }

    @Override
    public void onSilence(Conversation c, int reprompt, ReplySink out) {
        requireAllowed(c.hipaaMode());
        launch(c, "[The caller has said nothing for a while (reprompt " + reprompt
                + "). Check briefly that they are still there.]", out);
    }

    /** Stops the reply in flight for this call, if any (the call ended, or the caller barged in). */
    @Override
    public void cancel(Conversation c) {
        Reply r = inFlight.remove(c.callId());
        if (r != null) {
            r.cancel();
        }
    }

    private void launch(Conversation c, String userText, ReplySink out) {
        var reply = new Reply(c, messages(c, userText), out);
        Reply previous = inFlight.put(c.callId(), reply);
        if (previous != null) {
            previous.cancel();
        }
        reply.thread = Thread.ofVirtual().name("llm-reply-" + c.callId()).start(reply::run);
    }

    List<ChatMessage> messages(Conversation c, String userText) {
        var system = new StringBuilder();
        String prompt = c.agent().spec().systemPrompt();
        if (prompt != null && !prompt.isBlank()) {
            system.append(prompt.strip()).append("\n\n");
        }
        system.append(VOICE_RULES).append("\n\nNow: ")
                .append(clock.instant().truncatedTo(ChronoUnit.SECONDS)).append(" (UTC).");
        if (!c.contact().isEmpty()) {
            system.append("\n\nThe person on the call:");
            c.contact().forEach((k, v) -> {
                if (v != null && !v.isBlank()) {
                    system.append("\n- ").append(k).append(": ").append(v);
                }
            });
        }
        if (!c.variables().isEmpty()) {
            system.append("\n\nAlready recorded:");
            c.variables().forEach((k, v) -> system.append("\n- ").append(k).append(": ").append(plain(v)));
        }
        var messages = new ArrayList<ChatMessage>();
        messages.add(SystemMessage.from(system.toString()));
        // the agent's sentences are kept as turns one by one (see Conversation): a run of them is one message
        var agent = new StringBuilder();
        for (Conversation.Turn t : c.history()) {
            if (t.text() == null || t.text().isBlank()) {
                continue;
            }
            if (t.speaker() == Conversation.Speaker.AGENT) {
                agent.append(agent.isEmpty() ? "" : " ").append(t.text().strip());
                continue;
            }
            if (!agent.isEmpty()) {
                messages.add(AiMessage.from(agent.toString()));
                agent.setLength(0);
            }
            messages.add(UserMessage.from(t.text()));
        }
        if (!agent.isEmpty()) {
            messages.add(AiMessage.from(agent.toString()));
        }
        if (userText != null && !userText.isBlank()) {
            messages.add(UserMessage.from(userText));
        }
        return messages;
    }

    private static String plain(Object value) {
        return switch (value) {
            case java.math.BigDecimal n -> n.toPlainString();
            case CapturedValue.Text t -> t.value();
            case CapturedValue.Number n -> n.value().toPlainString();
            case CapturedValue.Bool b -> String.valueOf(b.value());
            case CapturedValue.Date d -> d.value().toString();
            case CapturedValue.Choice ch -> ch.value();
            case null -> "";
            default -> value.toString();
        };
    }

    /** {@code {{first_name}}} and custom fields from the contact; an unknown field reads as nothing. */
    static String render(String template, Map<String, String> fields) {
        Matcher m = PLACEHOLDER.matcher(template);
        var sb = new StringBuilder();
        while (m.find()) {
            String value = fields.getOrDefault(m.group(1), "");
            m.appendReplacement(sb, Matcher.quoteReplacement(value == null ? "" : value));
        }
        m.appendTail(sb);
        return sb.toString().replaceAll("\\s+([,.!?])", "$1").replaceAll("\\s{2,}", " ");
    }

    /** Thrown inside a reply's thread when a newer turn superseded it. */
    private static final class Superseded extends Exception {
        Superseded() {
            super(null, null, false, false);
        }
    }

    /** One reply: the model requests it takes (tool rounds, retries), on its own thread. */
    private final class Reply {
        private final Conversation c;
        private final List<ChatMessage> messages;
        private final GuardedSink out;
        private volatile boolean cancelled;
        private volatile Attempt current;
        volatile Thread thread;

        Reply(Conversation c, List<ChatMessage> messages, ReplySink out) {
            this.c = c;
            this.messages = messages;
            this.out = new GuardedSink(out, this);
        }

        void cancel() {
            cancelled = true;
            Attempt a = current;
            if (a != null) {
                a.abandon();
            }
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
        }

        void run() {
            try {
                var tools = new CallTools(c, clock, settings.endCallGrace());
                List<ToolSpecification> specs = tools.specifications();
                for (int round = 0; round <= settings.maxToolRounds(); round++) {
                    Optional<ChatResponse> response = request(specs);
                    if (response.isEmpty()) {
                        break; // gave up, the caller has been told
                    }
                    AiMessage ai = response.get().aiMessage();
                    if (!ai.hasToolExecutionRequests()) {
                        break;
                    }
                    messages.add(ai);
                    boolean over = false;
                    for (ToolExecutionRequest call : ai.toolExecutionRequests()) {
                        checkCancelled();
                        CallTools.Outcome outcome = over
                                ? CallTools.Outcome.refused("the call is already ending")
                                : tools.execute(call, out);
                        messages.add(ToolExecutionResultMessage.from(call, outcome.result()));
                        over |= outcome.terminal();
                    }
                    if (over) {
                        break;
                    }
                }
                checkCancelled();
                out.done();
            } catch (Superseded e) {
                // a newer turn of this call took over; it answers instead
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "LLM reply for call " + c.callId() + " failed", e);
                if (!cancelled) {
                    giveUp();
                    out.done();
                }
            } finally {
                inFlight.remove(c.callId(), this);
            }
        }

        private void checkCancelled() throws Superseded {
            if (cancelled) {
                throw new Superseded();
            }
        }

        /** One model request with its retries; empty after giving up (the apology has been said). */
        private Optional<ChatResponse> request(List<ToolSpecification> specs) throws Superseded {
            for (int attempt = 1; ; attempt++) {
                checkCancelled();
                var splitter = new SentenceSplitter();
                var said = new StringBuilder();
                var a = new Attempt();
                current = a;
                var request = ChatRequest.builder().messages(List.copyOf(messages)).toolSpecifications(specs).build();
                try {
                    RetryAfter.capture(a.retryAfter, () -> model.chat(request, a));
                } catch (RuntimeException e) {
                    a.onError(e);
                }
                ProviderFailure failure = null;
                boolean first = true;
                while (failure == null) {
                    Duration wait = first ? settings.firstTokenTimeout() : settings.streamIdleTimeout();
                    Event event = a.next(wait);
                    checkCancelled();
                    switch (event) {
                        case null -> failure = new ProviderFailure(first
                                ? "no first token within " + wait : "the stream stalled for " + wait,
                                null, null, true);
                        case Event.Text t -> {
                            first = false;
                            for (String sentence : splitter.add(t.text())) {
                                out.say(sentence);
                                said.append(sentence).append(' ');
                            }
                        }
                        case Event.Progress p -> first = false;
                        case Event.Complete done when done.response().finishReason() == null ->
                                failure = new ProviderFailure("the stream ended before the model finished",
                                        null, null, true);
                        case Event.Complete done -> {
                            splitter.flush().ifPresent(out::say);
                            meter(done.response().tokenUsage());
                            return Optional.of(done.response());
                        }
                        case Event.Failed f -> failure = brokenIfStarted(
                                ProviderFailure.classify(f.error(), settings.requestTimeout()), first);
                    }
                }
                a.abandon();
                String why = a.describe(failure);
                LOG.warning(() -> "LLM " + settings.provider() + " attempt failed on call " + c.callId() + ": " + why);
                if (!said.isEmpty()) {
                    messages.add(AiMessage.from(said.toString().strip()));
                    messages.add(UserMessage.from(CUT_OFF));
                }
                Optional<Duration> asked = failure.status() == null ? Optional.empty() : a.retryAfter.get();
                if (!failure.retryable() || attempt >= settings.retry().maxAttempts()
                        || asked.filter(d -> d.compareTo(settings.maxRetryAfter()) > 0).isPresent()) {
                    giveUp();
                    return Optional.empty();
                }
                out.say(settings.phrases().holding());
                Duration backoff = settings.retry().backoff(attempt);
                try {
                    Thread.sleep(asked.filter(d -> d.compareTo(backoff) > 0).orElse(backoff));
                } catch (InterruptedException e) {
                    throw new Superseded();
                }
            }
        }

        private void meter(TokenUsage usage) {
            if (usage != null && (usage.inputTokenCount() != null || usage.outputTokenCount() != null)) {
                meter.record(c.agent().organizationId(), c.callId(), new ModelUsage(orZero(usage.inputTokenCount()),
                        orZero(usage.outputTokenCount())));
            }
        }

        private static long orZero(Integer n) {
            return n == null ? 0 : n;
        }

        /** Whatever went wrong after the stream had started, it broke mid-way: worth another attempt. */
        private static ProviderFailure brokenIfStarted(ProviderFailure f, boolean first) {
            return first || f.retryable() || f.status() != null ? f
                    : new ProviderFailure("the stream broke (" + f.what() + ")", null, f.message(), true);
        }

        private void giveUp() {
            LlmSettings.Phrases p = settings.phrases();
            out.say(p.apology());
            Optional<String> transfer = c.transfer();
            if (transfer.isPresent()) {
                out.say(p.transferring());
                out.transfer(transfer.get());
            } else {
                out.say(p.goodbye());
                out.end(settings.failureDisposition());
            }
        }
    }

    /** What a stream reports, in order, to the reply's thread. */
    private sealed interface Event {
        record Text(String text) implements Event {
        }

        record Progress() implements Event {
        }

        record Complete(ChatResponse response) implements Event {
        }

        record Failed(Throwable error) implements Event {
        }
    }

    /** One streaming request; LangChain4j calls it on the HTTP client's threads. */
    private static final class Attempt implements StreamingChatResponseHandler {
        private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        private final RetryAfter.Slot retryAfter = new RetryAfter.Slot();
        private volatile StreamingHandle handle;
        private volatile boolean abandoned;

        Event next(Duration wait) throws Superseded {
            try {
                return events.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                throw new Superseded();
            }
        }

        void abandon() {
            abandoned = true;
            StreamingHandle h = handle;
            if (h != null && !h.isCancelled()) {
                h.cancel();
            }
        }

        private void attach(StreamingHandle h) {
            handle = h;
            if (abandoned && h != null && !h.isCancelled()) {
                h.cancel(); // a late first token of a request we gave up on
            }
        }

        String describe(ProviderFailure f) {
            return f.what() + (f.status() == null ? "" : " (HTTP " + f.status() + ")")
                    + (f.message() == null ? "" : ": " + f.message());
        }

        @Override
        public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
            attach(context.streamingHandle());
            if (partial.text() != null && !partial.text().isEmpty()) {
                events.add(new Event.Text(partial.text()));
            }
        }

        @Override
        public void onPartialToolCall(PartialToolCall partial, PartialToolCallContext context) {
            attach(context.streamingHandle());
            events.add(new Event.Progress());
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            events.add(new Event.Complete(response));
        }

        @Override
        public void onError(Throwable error) {
            events.add(new Event.Failed(error));
        }
    }

    /**
     * The caller's sink as a reply uses it: nothing passes once the reply is superseded, and an end or transfer
     * the model did not announce gets a spoken line first, so the caller never hears a silent hang-up.
     */
    private final class GuardedSink implements ReplySink {
        private final ReplySink delegate;
        private final Reply reply;
        private boolean said;

        GuardedSink(ReplySink delegate, Reply reply) {
            this.delegate = delegate;
            this.reply = reply;
        }

        @Override
        public void say(String sentence) {
            if (!reply.cancelled) {
                said = true;
                reply.c.addTurn(Conversation.Speaker.AGENT, sentence);
                delegate.say(sentence);
            }
        }

        @Override
        public void setVariable(String name, Object value) {
            if (!reply.cancelled) {
                delegate.setVariable(name, value);
            }
        }

        @Override
        public void end(String disposition) {
            if (!reply.cancelled) {
                if (!said) {
                    say(settings.phrases().goodbye());
                }
                delegate.end(disposition);
            }
        }

        @Override
        public void transfer(String phoneNumber) {
            if (!reply.cancelled) {
                if (!said) {
                    say(settings.phrases().transferring());
                }
                delegate.transfer(phoneNumber);
            }
        }

        @Override
        public void addToDoNotCall() {
            if (!reply.cancelled) {
                delegate.addToDoNotCall();
            }
        }

        @Override
        public void sendDtmf(String digits) {
            if (!reply.cancelled) {
                delegate.sendDtmf(digits);
            }
        }

        @Override
        public SmsResult sendSms(String template, String from, String nodeId) {
            return reply.cancelled ? SmsResult.refused("superseded", "a newer turn of the caller took over")
                    : delegate.sendSms(template, from, nodeId);
        }

        @Override
        public void done() {
            if (!reply.cancelled) {
                delegate.done();
            }
        }
    }
}
