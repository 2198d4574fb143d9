package io.tiermesh.budget;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
      if (!seen.add(l.window().id() + ":" + l.scope().id())) {
        throw new IllegalArgumentException(
            "two " + l.window().id() + " limits for " + l.scope().id());
      }
    }
  }

  /** Every limit a call spends from, resolved to the counters of the periods containing now. */
  public List<ApplicableLimit> applicableScopes(String tenant, int tier, String providerId,
      Instant now) {
    List<ApplicableLimit> out = new ArrayList<>();
    for (ScopeLimit l : limits) {
      if (!l.scope().appliesTo(tenant, tier, providerId)) {
        continue;
      }
      ScopeKey key = ScopeKey.of(l.scope(), l.window(), now, zone);
      out.add(new ApplicableLimit(key, l.limitMicros(), l.maxRequests(), key.windowEnd(zone)));
    }
    return out;
  }

  /** The configured limit a counter belongs to, if any (rule caps have none). */
  public Optional<ScopeLimit> limitOf(ScopeKey key) {
    for (ScopeLimit l : limits) {
      if (l.window() == key.window() && l.scope().id().equals(key.scope().id())) {
        return Optional.of(l);
      }
    }
    return Optional.empty();
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
