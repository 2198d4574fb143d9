package io.tiermesh.budget;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The budget role's meters: what calls cost and used, counted where they are charged, and each
 * configured limit's spend as last read from Redis.
 *
 * <p>Tags come from configuration (tenant names, tiers, provider ids, models, scopes), never
 * from what a client sends, so their number is bounded by the catalog. Each meter is built once
 * and kept, since the registry's lookup by name and tags costs more than the increment.
 */
public final class BudgetMeters {

  public static final String COST = "tiermesh.cost.microdollars";
  public static final String TOKENS = "tiermesh.tokens";
  public static final String SPENT = "tiermesh.budget.spent.microdollars";
  public static final String RESERVED = "tiermesh.budget.reserved.microdollars";
  public static final String REMAINING = "tiermesh.budget.remaining.microdollars";
  public static final String BUDGET = "tiermesh.budget.limit.microdollars";
  public static final String CUTOFF = "tiermesh.budget.cutoff.microdollars";

  private static final String NONE = "none";

  private final MeterRegistry registry;
  private final java.util.function.Supplier<BudgetPolicy> policy;
  private final Map<List<String>, Counter> counters = new ConcurrentHashMap<>();
  private final Map<List<String>, AtomicLong> gauges = new ConcurrentHashMap<>();

  /** @param registry the node's registry, or null for none */
  public BudgetMeters(MeterRegistry registry, BudgetPolicy policy) {
    this(registry, () -> policy);
  }

  /** @param policy the policy in force: the file's limits with any set at runtime */
  public BudgetMeters(MeterRegistry registry, java.util.function.Supplier<BudgetPolicy> policy) {
    this.registry = registry;
    this.policy = policy;
  }

  /** One call charged (paid) or recorded (free): its cost in µ$ and its tokens. */
  public void call(String tenant, int tier, String model, long costMicros, int promptTokens,
      int completionTokens) {
    if (registry == null) {
      return;
    }
    String t = tenant == null ? NONE : tenant;
    String tr = Integer.toString(tier);
    String m = model == null ? NONE : model;
    counter(COST, List.of(t, tr, m, ""), "tenant", t, "tier", tr, "model", m)
        .increment(Math.max(0, costMicros));
    counter(TOKENS, List.of(t, tr, m, "input"), "tenant", t, "tier", tr, "model", m, "type",
        "input").increment(Math.max(0, promptTokens));
    counter(TOKENS, List.of(t, tr, m, "output"), "tenant", t, "tier", tr, "model", m, "type",
        "output").increment(Math.max(0, completionTokens));
  }

  /**
   * The counters as a snapshot read them. A gauge holds the figures of the current period of
   * its scope and window; routers ask for snapshots every few seconds, so they stay fresh.
   */
  public void snapshot(List<ScopeUsage> usage) {
    if (registry == null) {
      return;
    }
    for (ScopeUsage u : usage) {
      if (u.limitMicros().isEmpty()) {
        continue; // request caps and rules: counted in requests, not money
      }
      String scope = u.key().scope().id();
      String window = u.key().window().id();
      gauge(SPENT, scope, window).set(u.spentMicros());
      gauge(RESERVED, scope, window).set(u.reservedMicros());
      gauge(REMAINING, scope, window).set(u.remainingMicros().getAsLong());
      gauge(CUTOFF, scope, window).set(u.limitMicros().getAsLong());
      gauge(BUDGET, scope, window).set(policy.get().limitOf(u.key())
          .flatMap(l -> l.budgetMicros().isPresent()
              ? java.util.Optional.of(l.budgetMicros().getAsLong()) : java.util.Optional.empty())
          .orElse(u.limitMicros().getAsLong()));
    }
  }

  private Counter counter(String name, List<String> key, String... tags) {
    return counters.computeIfAbsent(prefixed(name, key),
        k -> Counter.builder(name).tags(tags).register(registry));
  }

  private AtomicLong gauge(String name, String scope, String window) {
    return gauges.computeIfAbsent(List.of(name, scope, window), k -> {
      AtomicLong v = new AtomicLong();
      Gauge.builder(name, v, AtomicLong::get).tag("scope", scope).tag("window", window)
          .register(registry);
      return v;
    });
  }

  private static List<String> prefixed(String name, List<String> key) {
    java.util.ArrayList<String> out = new java.util.ArrayList<>(key.size() + 1);
    out.add(name);
    out.addAll(key);
    return out;
  }
}
