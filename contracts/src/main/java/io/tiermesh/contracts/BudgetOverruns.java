package io.tiermesh.contracts;

import java.util.List;

/**
 * Budget role → admin API: the providers whose paid traffic is stopped because they reported
 * more usage than was reserved.
 *
 * @param acknowledged for a query that acknowledged a provider: whether it was halted; null
 *                     for a plain listing
 */
public record BudgetOverruns(List<Halted> halted, Boolean acknowledged) {

  public BudgetOverruns {
    halted = List.copyOf(halted);
  }

  /**
   * @param untilMillis when the halt lifts by itself (the budget day's end), or null
   */
  public record Halted(String provider, String requestId, long chargedMicros,
      long reservedMicros, long atMillis, Long untilMillis) {}
}
