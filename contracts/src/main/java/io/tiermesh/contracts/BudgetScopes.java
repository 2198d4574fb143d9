package io.tiermesh.contracts;

import java.util.List;

/**
 * Budget role → explain: for each paid target, every limit it would spend from (all of them
 * apply; the tightest decides).
 */
public record BudgetScopes(List<Target> targets) {

  /**
   * @param scopes        the counters, each in its current period
   * @param tightestScope the scope with the least spend room left, or null when none caps spend
   */
  public record Target(int tier, String providerId, String model,
      List<BudgetSnapshot.Line> scopes, String tightestScope) {}
}
