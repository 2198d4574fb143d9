package io.tiermesh.contracts;

import java.util.List;

/**
 * Admin API → budget role: list the budget limits, set one at runtime, or reset one to the
 * config file's. A runtime limit is kept in Redis and wins over the file's limit of the same
 * scope and window on every budget node.
 *
 * @param scope       a budget scope id ({@code tenant:acme/user:*}); null for {@link Op#LIST}
 * @param window      {@code day} or {@code month}; null for {@link Op#LIST}
 * @param limitMicros the spend cap in µ$, or null for none
 * @param maxRequests the request cap, or null for none
 * @param alerts      alert thresholds as shares of the spend cap, or null for the default
 */
public record BudgetLimitsCommand(Op op, String scope, String window, Long limitMicros,
    Long maxRequests, List<Double> alerts) {

  public enum Op { LIST, SET, RESET }

  public static BudgetLimitsCommand list() {
    return new BudgetLimitsCommand(Op.LIST, null, null, null, null, null);
  }
}
