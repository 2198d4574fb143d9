package io.tiermesh.contracts;

import java.util.List;

/**
 * Budget role → admin API: the limits in force, each with where it comes from.
 *
 * @param version the runtime limits' version (it grows with every change), 0 before any
 */
public record BudgetLimits(String zone, List<Limit> limits, long version) {

  /**
   * @param source     {@code file} or {@code runtime}
   * @param fileLimit  the config file's limit of the same scope and window that a runtime one
   *                   overrides (what a reset brings back), or null
   */
  public record Limit(String scope, String window, Long limitMicros, Long maxRequests,
      List<Double> alerts, String source, FileLimit fileLimit) {}

  public record FileLimit(Long limitMicros, Long maxRequests, List<Double> alerts) {}
}
