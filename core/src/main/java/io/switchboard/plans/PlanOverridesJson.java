package io.switchboard.plans;

import java.util.EnumMap;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jooq.JSONB;

/** The jsonb form of {@link PlanOverrides}: {"max-agents": 50, "retention": {"recordings": "P7Y"}}. */
final class PlanOverridesJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PlanOverridesJson() {
    }

    static JSONB write(PlanOverrides o) {
        ObjectNode n = JSON.createObjectNode();
        o.maxConcurrentCalls().ifPresent(v -> n.put("max-concurrent-calls", v));
        o.maxAgents().ifPresent(v -> n.put("max-agents", v));
        o.maxCampaigns().ifPresent(v -> n.put("max-campaigns", v));
        o.apiRequestsPerSecond().ifPresent(v -> n.put("api-requests-per-second", v));
        o.apiBurst().ifPresent(v -> n.put("api-burst", v));
        if (!o.retention().isEmpty()) {
            ObjectNode r = n.putObject("retention");
            for (DataClass c : DataClass.values()) {
                o.retentionFor(c).ifPresent(p -> r.put(c.configKey(), p.toString()));
            }
        }
        return JSONB.jsonb(n.toString());
    }

    static PlanOverrides read(JSONB jsonb) {
        if (jsonb == null) {
            return PlanOverrides.NONE;
        }
        try {
            JsonNode n = JSON.readTree(jsonb.data());
            Map<DataClass, RetentionPeriod> retention = new EnumMap<>(DataClass.class);
            JsonNode r = n.path("retention");
            for (Iterator<Map.Entry<String, JsonNode>> it = r.properties().iterator(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                retention.put(DataClass.fromConfigKey(e.getKey()), RetentionPeriod.parse(e.getValue().asText()));
            }
            return new PlanOverrides(optInt(n, "max-concurrent-calls"), optInt(n, "max-agents"),
                    optInt(n, "max-campaigns"),
                    n.has("api-requests-per-second") ? OptionalDouble.of(n.get("api-requests-per-second").asDouble())
                            : OptionalDouble.empty(),
                    optInt(n, "api-burst"), retention);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored plan overrides are not valid JSON", e);
        }
    }

    private static OptionalInt optInt(JsonNode n, String field) {
        return n.has(field) ? OptionalInt.of(n.get(field).asInt()) : OptionalInt.empty();
    }
}
