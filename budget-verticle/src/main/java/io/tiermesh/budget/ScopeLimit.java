package io.tiermesh.budget;

import java.util.OptionalLong;

/**
 * A configured cap for one scope and window: spend, number of requests, or both.
 *
 * @param limitMicros most µ$ that spend plus open reservations may reach; empty = no spend cap
 * @param maxRequests most admitted requests in the window; empty = no request cap
 */
public record ScopeLimit(BudgetScope scope, BudgetWindow window, OptionalLong limitMicros,
    OptionalLong maxRequests) {

  public ScopeLimit {
    if (limitMicros.isEmpty() && maxRequests.isEmpty()) {
      throw new IllegalArgumentException("limit for " + scope.id() + " caps nothing");
    }
    if (limitMicros.orElse(0) < 0 || maxRequests.orElse(0) < 0) {
      throw new IllegalArgumentException("negative limit for " + scope.id());
    }
  }

  public static ScopeLimit spend(BudgetScope scope, BudgetWindow window, long limitMicros) {
    return new ScopeLimit(scope, window, OptionalLong.of(limitMicros), OptionalLong.empty());
  }

  public static ScopeLimit requests(BudgetScope scope, BudgetWindow window, long maxRequests) {
    return new ScopeLimit(scope, window, OptionalLong.empty(), OptionalLong.of(maxRequests));
  }
}
