package io.tiermesh.budget;

import java.util.List;
import java.util.OptionalLong;

/**
 * A configured cap for one scope and window: spend, number of requests, or both.
 *
 * @param limitMicros most µ$ that spend plus open reservations may reach; empty = no spend cap
 * @param maxRequests most admitted requests in the window; empty = no request cap
 * @param alerts      shares of the spend limit (0 &lt; f ≤ 1) at which this limit alerts; empty =
 *                    the policy's {@link BudgetPolicy#alertFraction()}. The lowest one fires
 *                    the once-per-window alert.
 */
public record ScopeLimit(BudgetScope scope, BudgetWindow window, OptionalLong limitMicros,
    OptionalLong maxRequests, List<Double> alerts) {

  public ScopeLimit {
    if (limitMicros.isEmpty() && maxRequests.isEmpty()) {
      throw new IllegalArgumentException("limit for " + scope.id() + " caps nothing");
    }
    if (limitMicros.orElse(0) < 0 || maxRequests.orElse(0) < 0) {
      throw new IllegalArgumentException("negative limit for " + scope.id());
    }
    alerts = alerts == null ? List.of() : List.copyOf(alerts);
    for (double a : alerts) {
      if (!(a > 0 && a <= 1)) {
        throw new IllegalArgumentException("alert thresholds of " + scope.id()
            + " must be above 0 and at most 1: " + a);
      }
    }
  }

  public ScopeLimit(BudgetScope scope, BudgetWindow window, OptionalLong limitMicros,
      OptionalLong maxRequests) {
    this(scope, window, limitMicros, maxRequests, List.of());
  }

  public static ScopeLimit spend(BudgetScope scope, BudgetWindow window, long limitMicros) {
    return new ScopeLimit(scope, window, OptionalLong.of(limitMicros), OptionalLong.empty());
  }

  public static ScopeLimit requests(BudgetScope scope, BudgetWindow window, long maxRequests) {
    return new ScopeLimit(scope, window, OptionalLong.empty(), OptionalLong.of(maxRequests));
  }

  /** The window and scope: what one limit is known by (at most one per policy). */
  public String name() {
    return window.id() + ":" + scope.id();
  }

  /** The share of the spend limit at which this limit alerts. */
  public double alertFraction(double policyDefault) {
    return alerts.isEmpty() ? policyDefault
        : alerts.stream().mapToDouble(Double::doubleValue).min().orElse(policyDefault);
  }
}
