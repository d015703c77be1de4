package io.switchboard.conversation.brain;

import java.math.BigDecimal;
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
import java.util.function.Supplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.agents.Agent;
import io.switchboard.contacts.Contact;

/**
 * One live call as a {@link Brain} sees it: the agent version it runs, the contact's fields, the campaign, the call's
 * local date and time (dates the caller says are read relative to it), the variables captured so far and the turns
 * of both sides. The brain keeps the history and variables up to date as it goes; the real-time loop only reads
 * them. Thread-safe, since an LLM brain answers from its own threads.
 */
public final class Conversation {

    /** Who said a turn. */
    public enum Speaker { AGENT, CALLER }

    /** One turn of the history. */
    public record Turn(Speaker speaker, String text) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter SPOKEN_DATE = DateTimeFormatter.ofPattern("EEEE, MMMM d", Locale.ENGLISH);

    private final Agent agent;
    private final Map<String, String> contact;
    private final String campaignName;
    private final ZonedDateTime callTime;
    private final Map<String, Object> variables = new LinkedHashMap<>();
    private final List<Turn> history = new ArrayList<>();
    private Object brainState;

    /**
     * @param contact  template keys ({@code first_name}, {@code metadata.plan}, …), see {@link #contactFields}
     * @param callTime when the call started, in the contact's time zone
     */
    public Conversation(Agent agent, Map<String, String> contact, String campaignName, ZonedDateTime callTime) {
        this.agent = agent;
        this.contact = Map.copyOf(contact);
        this.campaignName = campaignName == null ? "" : campaignName;
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

    public Agent agent() {
        return agent;
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
