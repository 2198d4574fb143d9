package io.tiermesh.simulator;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which models are loaded, as Ollama keeps them: a model with a load time configured here is
 * cold until a request uses it; that first request waits the load time, and the model then stays
 * loaded for the request's {@code keep_alive} (Ollama's default 5 minutes) after each use. So a
 * test sees what a fresh GPU node does to the first requests, and what a warm-up call saves.
 * Models without a load time are always loaded.
 */
public final class ModelResidency {

    /** Ollama's default {@code keep_alive}. */
    public static final long DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;
    private static final Pattern DURATION = Pattern.compile("(-?\\d+)(ms|s|m|h)?");

    private final Map<String, Long> loadMs = new HashMap<>();
    private final Map<String, Long> loadedUntil = new HashMap<>();
    private final Map<String, Long> readyAt = new HashMap<>();
    private final Map<String, Integer> loads = new HashMap<>();

    /** {@code model} takes {@code ms} to load on first use (and again after it was unloaded). */
    public synchronized ModelResidency loadTime(String model, long ms) {
        loadMs.put(model, ms);
        loadedUntil.remove(model);
        readyAt.remove(model);
        return this;
    }

    /** Unloads every model, as a restarted backend has none loaded. */
    public synchronized void unloadAll() {
        loadedUntil.clear();
        readyAt.clear();
    }

    public synchronized void clear() {
        loadMs.clear();
        loadedUntil.clear();
        readyAt.clear();
        loads.clear();
    }

    /** Whether {@code model} is loaded now. */
    public synchronized boolean loaded(String model, long nowMillis) {
        Long load = loadMs.get(model);
        if (load == null) {
            return true;
        }
        Long until = loadedUntil.get(model);
        return until != null && until >= nowMillis;
    }

    /** How many times {@code model} was loaded. */
    public synchronized int loads(String model) {
        return loads.getOrDefault(model, 0);
    }

    /**
     * A request for {@code model} arrives: the delay it waits for the model to load (0 when
     * loaded), after which the model stays loaded for {@code keepAlive} past the answer.
     *
     * @param keepAlive the request's {@code keep_alive}: a number of seconds, a duration such as
     *                  {@code 30s}, {@code 5m} or {@code 1h}, negative for ever, or null for the default
     */
    public synchronized long use(String model, Object keepAlive, long nowMillis) {
        Long load = loadMs.get(model);
        if (load == null) {
            return 0;
        }
        long delay;
        if (loaded(model, nowMillis)) {
            // A request arriving while the model still loads waits for the rest of the load.
            delay = Math.max(0, readyAt.getOrDefault(model, 0L) - nowMillis);
        } else {
            delay = load;
            readyAt.put(model, nowMillis + load);
            loads.merge(model, 1, Integer::sum);
        }
        long keep = keepAliveMillis(keepAlive);
        long until = keep < 0 ? Long.MAX_VALUE : nowMillis + delay + keep;
        loadedUntil.merge(model, until, Math::max);
        if (keep == 0) {
            loadedUntil.put(model, nowMillis + delay);
        }
        return delay;
    }

    /** Ollama's {@code keep_alive} in milliseconds; negative keeps the model loaded for ever. */
    static long keepAliveMillis(Object keepAlive) {
        if (keepAlive == null) {
            return DEFAULT_KEEP_ALIVE_MS;
        }
        if (keepAlive instanceof Number n) {
            return n.longValue() * 1000;
        }
        Matcher m = DURATION.matcher(keepAlive.toString().trim());
        if (!m.matches()) {
            return DEFAULT_KEEP_ALIVE_MS;
        }
        long v = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> v;
            case "m" -> v * 60_000;
            case "h" -> v * 3_600_000;
            default -> v * 1000;
        };
    }
}
