package io.tiermesh.budget;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The configured budgets.
 *
 * @param zone time zone the day and month windows follow
 * @param alertFraction share of a spend limit (0 &lt; f ≤ 1) at which an alert fires once per window
 * @param limits at most one per scope and window
 */
public record BudgetPolicy(ZoneId zone, double alertFraction, List<ScopeLimit> limits) {

  public static final double DEFAULT_ALERT_FRACTION = 0.8;

  public BudgetPolicy {
    if (!(alertFraction > 0 && alertFraction <= 1)) {
      throw new IllegalArgumentException("alert fraction must be in (0, 1]: " + alertFraction);
    }
    limits = List.copyOf(limits);
    Set<String> seen = new HashSet<>();
    for (ScopeLimit l : limits) {
      if (!seen.add(l.name())) {
        throw new IllegalArgumentException(
            "two " + l.window().id() + " limits for " + l.scope().id());
      }
    }
  }

  /** Every limit a call spends from, resolved to the counters of the periods containing now. */
  public List<ApplicableLimit> applicableScopes(String tenant, int tier, String providerId,
      Instant now) {
    return applicableScopes(new CallFacts(tenant, tier, providerId, null, null, null), now);
  }

  /**
   * Every limit a call spends from, resolved to the counters of the periods containing now.
   * All of them apply at once (one reservation holds the amount in each), so the tightest one
   * decides. A per-caller limit ({@code user:*}) resolves to the caller's own counter; when two
   * limits resolve to the same counter ({@code user:*} and {@code user:alice}, both daily), it
   * is held once, under the lower of their caps.
   */
  public List<ApplicableLimit> applicableScopes(CallFacts call, Instant now) {
    Map<String, ApplicableLimit> out = new LinkedHashMap<>();
    for (ScopeLimit l : limits) {
      BudgetScope scope = l.scope().resolve(call);
      if (scope == null) {
        continue;
      }
      ScopeKey key = ScopeKey.of(scope, l.window(), now, zone);
      OptionalLong alertAt = l.limitMicros().isPresent()
          ? OptionalLong.of((long) Math.ceil(l.limitMicros().getAsLong()
              * l.alertFraction(alertFraction)))
          : OptionalLong.empty();
      ApplicableLimit a = new ApplicableLimit(key, l.limitMicros(), l.maxRequests(), alertAt,
          key.windowEnd(zone));
      out.merge(key.id(), a, BudgetPolicy::tighter);
    }
    return new ArrayList<>(out.values());
  }

  private static ApplicableLimit tighter(ApplicableLimit a, ApplicableLimit b) {
    return new ApplicableLimit(a.key(), min(a.limitMicros(), b.limitMicros()),
        min(a.maxRequests(), b.maxRequests()), min(a.alertAtMicros(), b.alertAtMicros()),
        a.windowEnd());
  }

  private static OptionalLong min(OptionalLong a, OptionalLong b) {
    return a.isEmpty() ? b : b.isEmpty() ? a : OptionalLong.of(Math.min(a.getAsLong(),
        b.getAsLong()));
  }

  /**
   * This policy with {@code overrides} in place of the limits of the same scope and window, and
   * added where there is none: what an operator set at runtime wins over the file.
   */
  public BudgetPolicy with(List<ScopeLimit> overrides) {
    if (overrides.isEmpty()) {
      return this;
    }
    Map<String, ScopeLimit> merged = new LinkedHashMap<>();
    limits.forEach(l -> merged.put(l.name(), l));
    overrides.forEach(l -> merged.put(l.name(), l));
    return new BudgetPolicy(zone, alertFraction, new ArrayList<>(merged.values()));
  }

  /**
   * The day counter of a routing rule's {@code maxPerDay} cap: a request cap only (no spend, no
   * alert), in the budgets' time zone like every other day window.
   */
  public ApplicableLimit ruleLimit(String ruleName, long maxPerDay, Instant now) {
    ScopeKey key = ScopeKey.of(BudgetScope.rule(ruleName), BudgetWindow.DAY, now, zone);
    return new ApplicableLimit(key, OptionalLong.empty(), OptionalLong.of(maxPerDay),
        OptionalLong.empty(), key.windowEnd(zone));
  }
}
