package io.switchboard.conversation.brain;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.agents.Agent;
import io.switchboard.contacts.Contact;

/**
 * One live call as a {@link Brain} sees it: the call's id and its organisation's HIPAA mode, the agent version it
 * runs, the contact's fields, the campaign and its disposition codes, the call's local date and time (dates the
 * caller says are read relative to it), the variables captured so far and the turns of both sides.
 *
 * <p>Who writes what: the <b>brain</b> appends the history as it goes, the caller's turn it was handed
 * ({@link Brain#onCallerTurn}, unless that text is already the last turn) and every text it says, when it says it
 * (so a reply streaming from an LLM is in the history sentence by sentence). The <b>real-time loop</b> (the
 * conversation engine) stores the variables the brain sets through {@link ReplySink#setVariable}, and when the
 * caller barges in it replaces the agent's turns since the caller last spoke by what was actually played
 * ({@link #cutAgentSpeech}), so the next reply knows what the caller heard. Thread-safe, since an LLM brain
 * answers from its own threads.
 */
public final class Conversation {

    /** Who said a turn. */
    public enum Speaker { AGENT, CALLER }

    /** One turn of the history; {@code interrupted} when the caller cut the agent's turn short. */
    public record Turn(Speaker speaker, String text, boolean interrupted) {
        public Turn(Speaker speaker, String text) {
            this(speaker, text, false);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter SPOKEN_DATE = DateTimeFormatter.ofPattern("EEEE, MMMM d", Locale.ENGLISH);

    private final UUID callId;
    private final boolean hipaaMode;
    private final Agent agent;
    private final Map<String, String> contact;
    private final String campaignName;
    private final List<String> dispositionCodes;
    private final ZonedDateTime callTime;
    private final Map<String, Object> variables = new LinkedHashMap<>();
    private final List<Turn> history = new ArrayList<>();
    private Object brainState;

    /**
     * @param contact  template keys ({@code first_name}, {@code metadata.plan}, …), see {@link #contactFields}
     * @param callTime when the call started, in the contact's time zone
     */
    public Conversation(Agent agent, Map<String, String> contact, String campaignName, ZonedDateTime callTime) {
        this(UUID.randomUUID(), false, agent, contact, campaignName, List.of(), callTime);
    }

    /**
     * @param callId           the live call (a brain serving many calls keeps its reply in flight per call)
     * @param hipaaMode        whether the call's organisation is in HIPAA mode (an LLM brain then needs a BAA)
     * @param contact          template keys ({@code first_name}, {@code metadata.plan}, …), see {@link #contactFields}
     * @param dispositionCodes the campaign's codes; empty when the call has none (any code is taken)
     * @param callTime         when the call was answered, in the contact's time zone
     */
    public Conversation(UUID callId, boolean hipaaMode, Agent agent, Map<String, String> contact, String campaignName,
                        List<String> dispositionCodes, ZonedDateTime callTime) {
        this.callId = callId;
        this.hipaaMode = hipaaMode;
        this.agent = agent;
        this.contact = Map.copyOf(contact);
        this.campaignName = campaignName == null ? "" : campaignName;
        this.dispositionCodes = List.copyOf(dispositionCodes);
        this.callTime = callTime;
    }

    /** A contact's fields under the names templates use; custom fields are its metadata's top-level values. */
    public static Map<String, String> contactFields(Contact c) {
        Map<String, String> m = new HashMap<>();
        m.put("first_name", c.firstName());
        m.put("last_name", c.lastName());
        m.put("email", c.email());
        m.put("phone_number", c.phoneNumber());
        m.put("external_id", c.externalId());
        m.put("time_zone", c.timeZone());
        try {
            JsonNode meta = JSON.readTree(c.metadataJson() == null || c.metadataJson().isBlank() ? "{}"
                    : c.metadataJson());
            meta.properties().forEach(e -> {
                if (e.getValue().isValueNode() && !e.getValue().isNull()) {
                    m.put("metadata." + e.getKey(), e.getValue().asText());
                }
            });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored contact metadata is not valid JSON", e);
        }
        m.values().removeIf(v -> v == null);
        return m;
    }

    public UUID callId() {
        return callId;
    }

    public boolean hipaaMode() {
        return hipaaMode;
    }

    public Agent agent() {
        return agent;
    }

    public List<String> dispositionCodes() {
        return dispositionCodes;
    }

    /** The agent's transfer number ({@code conduct.transfer_number}), when it has one. */
    public Optional<String> transfer() {
        String n = agent.spec().conduct().transferNumber();
        return n.isBlank() ? Optional.empty() : Optional.of(n);
    }

    /** When the call was answered. */
    public Instant startedAt() {
        return callTime.toInstant();
    }

    public Map<String, String> contact() {
        return contact;
    }

    public String campaignName() {
        return campaignName;
    }

    public ZonedDateTime callTime() {
        return callTime;
    }

    public LocalDate today() {
        return callTime.toLocalDate();
    }

    public synchronized Map<String, Object> variables() {
        return Map.copyOf(variables);
    }

    public synchronized Optional<Object> variable(String name) {
        return Optional.ofNullable(variables.get(name));
    }

    public synchronized void setVariable(String name, Object value) {
        variables.put(name, value);
    }

    public synchronized List<Turn> history() {
        return List.copyOf(history);
    }

    public synchronized void addTurn(Speaker speaker, String text) {
        history.add(new Turn(speaker, text));
    }

    /**
     * The caller barged in: the agent's turns since the caller last spoke become one turn holding what was
     * actually played ({@code heard}, possibly empty), marked interrupted.
     */
    public synchronized void cutAgentSpeech(String heard) {
        int i = history.size();
        while (i > 0 && history.get(i - 1).speaker() == Speaker.AGENT) {
            i--;
        }
        history.subList(i, history.size()).clear();
        history.add(new Turn(Speaker.AGENT, heard == null ? "" : heard.strip(), true));
    }

    /** Values for {@link io.switchboard.agents.Templates#render}: contact, agent, campaign and captured variables. */
    public synchronized Map<String, String> templateValues() {
        Map<String, String> m = new HashMap<>(contact);
        m.put("agent.name", agent.spec().name());
        m.put("campaign.name", campaignName);
        variables.forEach((k, v) -> m.put("variables." + k, spoken(v)));
        return m;
    }

    /** How a captured value is said back: dates as "Tuesday, March 21", numbers plainly, booleans as yes/no. */
    static String spoken(Object v) {
        return switch (v) {
            case LocalDate d -> d.format(SPOKEN_DATE);
            case BigDecimal n -> n.toPlainString();
            case Boolean b -> b ? "yes" : "no";
            default -> String.valueOf(v);
        };
    }

    /** The brain's own per-call state, made on first use. */
    @SuppressWarnings("unchecked")
    public synchronized <T> T brainState(Class<T> type, Supplier<T> create) {
        if (!type.isInstance(brainState)) {
            brainState = create.get();
        }
        return (T) brainState;
    }
}
