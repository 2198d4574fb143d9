package io.tiermesh.contracts;

import java.util.List;

/**
 * Budget role → admin API: the limits in force, each with where it comes from.
 *
 * @param version the runtime limits' version (it grows with every change), 0 before any
 */
public record BudgetLimits(String zone, List<Limit> limits, long version) {

  /**
   * @param limitMicros  the budget ({@code usd}) in µ$, or null for a requests-only limit
   * @param alerts       the limit's own alert levels as shares of the budget, or null: the
   *                     policy's default share
   * @param source       {@code file} or {@code runtime}
   * @param fileLimit    the config file's limit of the same scope and window that a runtime
   *                     one overrides (what a reset brings back), or null
   * @param cutoffMicros the hard cap above the budget ({@code cutoffUsd}), or null when the
   *                     budget is the cap
   */
  public record Limit(String scope, String window, Long limitMicros, Long maxRequests,
      List<Double> alerts, String source, FileLimit fileLimit, Long cutoffMicros) {

    public Limit(String scope, String window, Long limitMicros, Long maxRequests,
        List<Double> alerts, String source, FileLimit fileLimit) {
      this(scope, window, limitMicros, maxRequests, alerts, source, fileLimit, null);
    }
  }

  /** @param cutoffMicros as in {@link Limit} */
  public record FileLimit(Long limitMicros, Long maxRequests, List<Double> alerts,
      Long cutoffMicros) {

    public FileLimit(Long limitMicros, Long maxRequests, List<Double> alerts) {
      this(limitMicros, maxRequests, alerts, null);
    }
  }
}
