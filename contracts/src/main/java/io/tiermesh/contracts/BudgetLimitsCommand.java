package io.tiermesh.contracts;

import java.util.List;

/**
 * Admin API → budget role: list the budget limits, set one at runtime, or reset one to the
 * config file's. A runtime limit is kept in Redis and wins over the file's limit of the same
 * scope and window on every budget node.
 *
 * @param scope       a budget scope id ({@code tenant:acme/user:*}); null for {@link Op#LIST}
 * @param window      {@code day} or {@code month}; null for {@link Op#LIST}
 * @param limitMicros  the budget in µ$ ({@code usd}), or null for none
 * @param maxRequests  the request cap, or null for none
 * @param alerts       alert levels as shares of the budget, or null for the default
 * @param cutoffMicros the hard cap in µ$ above the budget ({@code cutoffUsd}), or null: the
 *                     budget is the cap
 */
public record BudgetLimitsCommand(Op op, String scope, String window, Long limitMicros,
    Long maxRequests, List<Double> alerts, Long cutoffMicros) {

  public enum Op { LIST, SET, RESET }

  /** A limit whose budget is its cap. */
  public BudgetLimitsCommand(Op op, String scope, String window, Long limitMicros,
      Long maxRequests, List<Double> alerts) {
    this(op, scope, window, limitMicros, maxRequests, alerts, null);
  }

  public static BudgetLimitsCommand list() {
    return new BudgetLimitsCommand(Op.LIST, null, null, null, null, null);
  }
}
