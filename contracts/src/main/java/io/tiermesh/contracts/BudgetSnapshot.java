package io.tiermesh.contracts;

import java.util.List;

/**
 * Budget role → admin API: every configured limit in its current period.
 *
 * @param zone the time zone windows follow
 */
public record BudgetSnapshot(String zone, List<Line> lines, long openReservations) {

  /**
   * One counter. Money in µ$; null where the limit has no such cap.
   *
   * @param scope  {@code global}, {@code tier:2}, {@code provider:x}, {@code tenant:t},
   *               {@code tenant:t/provider:x}
   * @param window {@code day} or {@code month}
   * @param period e.g. {@code 2026-11-21} or {@code 2026-11}
   * @param limitMicros  the hard cap (the cut-off when one sits above the budget)
   * @param budgetMicros the budget the alert levels are shares of; null: none, or not known
   * @param alerts       the alert levels in force, as shares of the budget (the limit's own or
   *                     the policy's default); null: none, or not known
   */
  public record Line(String scope, String window, String period, Long limitMicros,
      long spentMicros, long reservedMicros, Long remainingMicros, long requests,
      Long maxRequests, Long budgetMicros, List<Double> alerts) {

    /** A counter shown without its limit's budget and alert levels. */
    public Line(String scope, String window, String period, Long limitMicros, long spentMicros,
        long reservedMicros, Long remainingMicros, long requests, Long maxRequests) {
      this(scope, window, period, limitMicros, spentMicros, reservedMicros, remainingMicros,
          requests, maxRequests, null, null);
    }
  }
}
