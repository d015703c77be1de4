package io.switchboard.plans;

import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import io.helidon.config.Config;
import io.switchboard.common.SwitchboardException;

/**
 * The plan tiers, read from the {@code plans} node of the configuration. Invalid configuration fails at
 * start-up with a message naming the key, never at the first request.
 */
public final class PlanCatalog {

    public static final String ENTERPRISE = "enterprise";

    private final Map<String, Plan> plans;
    private final String defaultPlan;

    public PlanCatalog(Map<String, Plan> plans, String defaultPlan) {
        if (plans.isEmpty()) {
            throw new IllegalStateException("the plan catalog is empty");
        }
        if (!plans.containsKey(defaultPlan)) {
            throw new IllegalStateException("default plan '" + defaultPlan + "' is not in the catalog " + plans.keySet());
        }
        this.plans = Map.copyOf(plans);
        this.order = plans.keySet().toArray(String[]::new);
        this.defaultPlan = defaultPlan;
    }

    private final String[] order;

    public static PlanCatalog fromConfig(Config config) {
        Config node = config.get("plans");
        if (!node.exists()) {
            throw new IllegalStateException("configuration has no 'plans' node");
        }
        Map<String, Plan> plans = new LinkedHashMap<>();
        for (Config p : node.get("catalog").asNodeList().orElseThrow(
                () -> new IllegalStateException("plans.catalog must be a list of plans"))) {
            Plan plan = planFrom(p);
            if (plans.put(plan.id(), plan) != null) {
                throw new IllegalStateException("plan id '" + plan.id() + "' appears twice in plans.catalog");
            }
        }
        return new PlanCatalog(plans, node.get("default").asString().orElse("starter"));
    }

    private static Plan planFrom(Config p) {
        String id = p.get("id").asString().orElseThrow(() -> new IllegalStateException(p.key() + ".id is required"));
        Config l = p.get("limits");
        PlanLimits limits;
        try {
            limits = new PlanLimits(
                    l.get("max-concurrent-calls").asInt().orElse(1),
                    l.get("max-agents").asInt().orElse(0),
                    l.get("max-campaigns").asInt().orElse(0),
                    l.get("api-requests-per-second").asDouble().orElse(10.0),
                    l.get("api-burst").asInt().orElse(20));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("plan '" + id + "': " + e.getMessage(), e);
        }
        Map<DataClass, RetentionPeriod> retention = new EnumMap<>(DataClass.class);
        for (DataClass c : DataClass.values()) {
            Config r = p.get("retention").get(c.configKey());
            if (c == DataClass.MESSAGES && !r.exists()) {
                r = p.get("retention").get(DataClass.CALL_LOGS.configKey());
            }
            String text = r.asString().orElseThrow(() -> new IllegalStateException(
                    "plan '" + id + "' has no retention." + c.configKey()));
            try {
                retention.put(c, RetentionPeriod.parse(text));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("plan '" + id + "' retention." + c.configKey() + ": " + e.getMessage(), e);
            }
        }
        return new Plan(id, p.get("display-name").asString().orElse(id), limits, retention,
                p.get("hipaa-allowed").asBoolean().orElse(false));
    }

    /** Plans in catalog order. */
    public Collection<Plan> plans() {
        return java.util.Arrays.stream(order).map(plans::get).toList();
    }

    public Optional<Plan> find(String id) {
        return Optional.ofNullable(plans.get(id));
    }

    /** The plan, or INVALID_ARGUMENT on {@code field} listing the known ids. */
    public Plan require(String field, String id) {
        return find(id).orElseThrow(() -> new SwitchboardException.InvalidArgument(field,
                "unknown plan '" + id + "'; known plans: " + String.join(", ", order)));
    }

    public String defaultPlan() {
        return defaultPlan;
    }
}
