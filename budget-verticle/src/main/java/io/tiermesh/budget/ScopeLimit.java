package io.tiermesh.budget;

import java.util.List;
import java.util.OptionalLong;

/**
 * A configured cap for one scope and window: spend, number of requests, or both.
 *
 * <p>The spend side has two figures. {@code budgetMicros} is what the scope is meant to spend
 * and what alert thresholds are shares of; {@code limitMicros} is the hard cut-off that
 * reservations are refused at. They are equal unless a cut-off above the budget was configured
 * ("$8 alert, $10 budget, $12 cut-off": budget 10, limit 12, alerts 0.8 and 1.0).
 *
 * @param limitMicros most µ$ that spend plus open reservations may reach; empty = no spend cap
 * @param maxRequests most admitted requests in the window; empty = no request cap
 * @param budgetMicros the spend the alert thresholds are shares of; at most the limit
 * @param alerts shares of the budget at which an alert fires once per window, ascending;
 *     empty = the policy's default share
 */
public record ScopeLimit(BudgetScope scope, BudgetWindow window, OptionalLong limitMicros,
    OptionalLong maxRequests, OptionalLong budgetMicros, List<Double> alerts) {

  public ScopeLimit {
    if (limitMicros.isEmpty() && maxRequests.isEmpty()) {
      throw new IllegalArgumentException("limit for " + scope.id() + " caps nothing");
    }
    if (limitMicros.orElse(0) < 0 || maxRequests.orElse(0) < 0) {
      throw new IllegalArgumentException("negative limit for " + scope.id());
    }
    if (budgetMicros.isPresent() != limitMicros.isPresent()
        || budgetMicros.orElse(0) > limitMicros.orElse(0)) {
      throw new IllegalArgumentException("the cut-off of " + scope.id()
          + " must be at least its budget");
    }
    alerts = List.copyOf(alerts);
    if (!alerts.isEmpty() && limitMicros.isEmpty()) {
      throw new IllegalArgumentException("alerts of " + scope.id() + " need a spend limit");
    }
    double previous = 0;
    for (double a : alerts) {
      // Spend never passes the cut-off, so a level above it could never fire.
      if (!(a > previous) || Math.ceil(budgetMicros.getAsLong() * a) > limitMicros.getAsLong()) {
        throw new IllegalArgumentException("alerts of " + scope.id() + " must be ascending"
            + " shares of the budget above 0 (1.0 = the whole budget), none above the cut-off");
      }
      previous = a;
    }
  }

  /** A cap whose budget is its cut-off, alerting at the policy's default share. */
  public ScopeLimit(BudgetScope scope, BudgetWindow window, OptionalLong limitMicros,
      OptionalLong maxRequests) {
    this(scope, window, limitMicros, maxRequests, limitMicros, List.of());
  }

  /** A cap whose budget is its cut-off, with its own alert levels (the admin API's form). */
  public ScopeLimit(BudgetScope scope, BudgetWindow window, OptionalLong limitMicros,
      OptionalLong maxRequests, List<Double> alerts) {
    this(scope, window, limitMicros, maxRequests, limitMicros, alerts == null ? List.of() : alerts);
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
}
