package io.tiermesh.budget;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The configured budgets.
 *
 * @param zone time zone the day and month windows follow
 * @param alertFraction share of a spend limit's budget (0 &lt; f ≤ 1) at which an alert fires once
 *     per window, for limits without their own list of alert levels
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
      ApplicableLimit a = new ApplicableLimit(key, l.limitMicros(), l.maxRequests(),
          key.windowEnd(zone));
      out.merge(key.id(), a, BudgetPolicy::tighter);
    }
    return new ArrayList<>(out.values());
  }

  private static ApplicableLimit tighter(ApplicableLimit a, ApplicableLimit b) {
    return new ApplicableLimit(a.key(), min(a.limitMicros(), b.limitMicros()),
        min(a.maxRequests(), b.maxRequests()), a.windowEnd());
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

  /** The configured limit a counter belongs to, if any (rule caps have none). */
  public Optional<ScopeLimit> limitOf(ScopeKey key) {
    for (ScopeLimit l : limits) {
      if (l.window() == key.window() && owns(l.scope().id(), key.scope().id())) {
        return Optional.of(l);
      }
    }
    return Optional.empty();
  }

  /**
   * Whether a counter's scope is the limit's own or, for a per-caller limit ({@code user:*}),
   * one caller's counter of it ({@code user:alice}): the same parts with a name in place of
   * each {@code *} of a key or user part.
   */
  static boolean owns(String limitId, String counterId) {
    if (limitId.equals(counterId)) {
      return true;
    }
    String[] l = limitId.split("/");
    String[] c = counterId.split("/");
    if (l.length != c.length) {
      return false;
    }
    for (int i = 0; i < l.length; i++) {
      boolean wildcard = (l[i].equals("user:*") && c[i].startsWith("user:"))
          || (l[i].equals("key:*") && c[i].startsWith("key:"));
      if (!wildcard && !l[i].equals(c[i])) {
        return false;
      }
    }
    return true;
  }

  /** The alert levels of a counter: none when no configured spend limit owns it. */
  public List<AlertThreshold> alertLevels(ScopeKey key) {
    return limitOf(key).map(l -> AlertThreshold.of(l, alertFraction)).orElse(List.of());
  }

  /**
   * The day counter of a routing rule's {@code maxPerDay} cap: a request cap only (no spend, no
   * alert), in the budgets' time zone like every other day window.
   */
  public ApplicableLimit ruleLimit(String ruleName, long maxPerDay, Instant now) {
    ScopeKey key = ScopeKey.of(BudgetScope.rule(ruleName), BudgetWindow.DAY, now, zone);
    return new ApplicableLimit(key, OptionalLong.empty(), OptionalLong.of(maxPerDay),
        key.windowEnd(zone));
  }
}
