package io.tiermesh.contracts;

import java.util.List;

/**
 * Budget role → admin API: the ledger summed by one dimension, next to what the same tokens
 * would have cost on the premium tier.
 *
 * @param premiumModel  the {@code provider/model} whose price the comparison uses, or null when
 *                      no premium (tier 3) model is priced
 * @param totals        all rows summed (key {@code total})
 * @param savingsBasisPoints (premium − actual) / premium in 1/100 %, null without a premium price
 */
public record UsageReport(String group, String premiumModel, List<Row> rows, Row totals,
    Long savingsBasisPoints) {

  /** One group. Money in µ$. */
  public record Row(String key, long calls, long promptTokens, long completionTokens,
      long costMicros, long premiumCostMicros) {}
}
