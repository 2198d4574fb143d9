package io.tiermesh.gateway;

import io.tiermesh.contracts.RouteOutcome;
import io.vertx.core.http.HttpServerResponse;
import java.math.BigDecimal;

/**
 * Writes what a request cost and how much budget is left. Only non-streamed answers carry
 * them: a stream's headers leave with its first chunk, before the attempt is settled.
 */
final class BudgetHeaders {

  static final String COST = "X-TierMesh-Cost-USD";
  static final String REMAINING = "X-TierMesh-Budget-Remaining";

  private BudgetHeaders() {}

  static void put(HttpServerResponse resp, RouteOutcome outcome) {
    if (outcome.costMicros() != null) {
      resp.putHeader(COST, dollars(outcome.costMicros()));
    }
    if (outcome.budgetRemainingMicros() != null) {
      resp.putHeader(REMAINING, dollars(outcome.budgetRemainingMicros()));
    }
  }

  /** µ$ as a plain dollar amount with six decimals, e.g. {@code 0.000123}. */
  static String dollars(long micros) {
    return BigDecimal.valueOf(micros, 6).toPlainString();
  }
}
