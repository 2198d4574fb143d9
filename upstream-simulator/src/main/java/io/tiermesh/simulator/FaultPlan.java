package io.tiermesh.simulator;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Faults installed ahead of time, for requests that arrive through a gateway which would not pass
 * test headers on. Rules are consulted in install order; the first rule whose filters match and
 * which has uses left applies to the request and spends one use. Thread-safe.
 */
public final class FaultPlan {

    /** {@code times} value meaning "until cleared". */
    public static final int UNLIMITED = -1;

    /**
     * A snapshot of one installed rule.
     *
     * @param remaining  uses left, or {@link #UNLIMITED}
     * @param model      exact model name the rule is limited to, or null for any
     * @param pathPrefix request path prefix the rule is limited to, or null for any
     */
    public record Rule(long id, Fault fault, int remaining, String model, String pathPrefix) {

        public JsonObject toJson() {
            JsonObject json = new JsonObject().put("id", id).put("fault", fault.toJson());
            if (remaining != UNLIMITED) {
                json.put("remaining", remaining);
            }
            if (model != null) {
                json.put("model", model);
            }
            if (pathPrefix != null) {
                json.put("path", pathPrefix);
            }
            return json;
        }
    }

    private record Installed(long id, Fault fault, AtomicInteger remaining, String model, String pathPrefix) {

        boolean matches(String path, String requestModel) {
            return (model == null || model.equals(requestModel))
                    && (pathPrefix == null || path.startsWith(pathPrefix));
        }

        /** Claims one use; false once the rule is spent. */
        boolean claim() {
            while (true) {
                int left = remaining.get();
                if (left == UNLIMITED) {
                    return true;
                }
                if (left <= 0) {
                    return false;
                }
                if (remaining.compareAndSet(left, left - 1)) {
                    return true;
                }
            }
        }
    }

    private final CopyOnWriteArrayList<Installed> rules = new CopyOnWriteArrayList<>();
    private final AtomicLong ids = new AtomicLong();

    /** Applies {@code fault} to every request until {@link #clear()}. Returns the rule id. */
    public long install(Fault fault) {
        return install(fault, UNLIMITED, null, null);
    }

    /**
     * Applies {@code fault} to the next {@code times} matching requests ({@link #UNLIMITED} for
     * until cleared). {@code model} (exact) and {@code pathPrefix} narrow the match when non-null.
     */
    public long install(Fault fault, int times, String model, String pathPrefix) {
        Objects.requireNonNull(fault, "fault");
        if (times != UNLIMITED && times <= 0) {
            throw new IllegalArgumentException("times must be positive, was " + times);
        }
        long id = ids.incrementAndGet();
        rules.add(new Installed(id, fault, new AtomicInteger(times), model, pathPrefix));
        return id;
    }

    public boolean remove(long id) {
        return rules.removeIf(rule -> rule.id == id);
    }

    public void clear() {
        rules.clear();
    }

    public List<Rule> rules() {
        List<Rule> snapshot = new ArrayList<>();
        for (Installed rule : rules) {
            int left = rule.remaining.get();
            if (left != 0) {
                snapshot.add(new Rule(rule.id, rule.fault, left, rule.model, rule.pathPrefix));
            }
        }
        return snapshot;
    }

    /** The fault for a request, spending one use of the matching rule; {@link Fault#NONE} when none matches. */
    public Fault take(String path, String model) {
        if (rules.isEmpty()) {
            return Fault.NONE;
        }
        for (Installed rule : rules) {
            if (rule.matches(path, model) && rule.claim()) {
                if (rule.remaining.get() == 0) {
                    rules.remove(rule);
                }
                return rule.fault;
            }
        }
        return Fault.NONE;
    }

    /** Reads the control API body {@code {"fault":{...},"times":N,"model":"...","path":"..."}} and installs it. */
    long install(JsonObject body) {
        for (String field : body.fieldNames()) {
            if (!List.of("fault", "times", "model", "path").contains(field)) {
                throw new IllegalArgumentException("unknown field '" + field + "', expected fault, times, model, path");
            }
        }
        if (!(body.getValue("fault") instanceof JsonObject faultJson)) {
            throw new IllegalArgumentException("'fault' must be an object");
        }
        Object times = body.getValue("times");
        if (times != null && !(times instanceof Number n && n.doubleValue() == n.intValue())) {
            throw new IllegalArgumentException("'times' must be an integer");
        }
        return install(Fault.fromJson(faultJson),
                times == null ? UNLIMITED : ((Number) times).intValue(),
                optionalString(body, "model"),
                optionalString(body, "path"));
    }

    private static String optionalString(JsonObject body, String field) {
        Object value = body.getValue(field);
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw new IllegalArgumentException("'" + field + "' must be a string");
    }
}
