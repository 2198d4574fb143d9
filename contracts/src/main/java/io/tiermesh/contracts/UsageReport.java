package io.tiermesh.contracts;

import java.util.List;

/**
 * Budget role → admin API: usage summed by the requested dimensions, next to what the same
 * tokens would have cost on the premium tier.
 *
 * @param group         the dimensions joined by {@code ,} (the single one of earlier releases)
 * @param groupBy       the dimensions, in the order of each row's {@code values}
 * @param from          first day covered (ISO date)   @param to last day covered, inclusive
 * @param zone          the time zone days and hours are read in
 * @param premiumModel  the {@code provider/model} whose price the comparison uses, or null when
 *                      no premium (tier 3) model is priced
 * @param totals        all rows summed (key {@code total})
 * @param savingsBasisPoints (premium − actual) / premium in 1/100 %, null without a premium price
 * @param refusals      refused requests by tenant, key id and error code over the same range
 */
public record UsageReport(String group, List<String> groupBy, String from, String to,
    String zone, String premiumModel, List<Row> rows, Row totals, Long savingsBasisPoints,
    List<Refusals> refusals) {

  /**
   * One group. Money in µ$.
   *
   * @param key    the values joined by {@code /}
   * @param values one per dimension of {@code groupBy}
   */
  public record Row(String key, List<String> values, long calls, long promptTokens,
      long completionTokens, long costMicros, long premiumCostMicros) {}

  /** Requests refused for one tenant and key with one error code. */
  public record Refusals(String tenant, String keyId, String code, long count) {}
}
