package io.tiermesh.node;

import java.util.List;
import java.util.Map;

/**
 * The {@code budget} section of a node's YAML as written (strings and numbers); turned into
 * typed budget settings by {@link BudgetConfigs}. Money is written as dollar strings
 * ({@code "200.00"}) and held as integer micro-dollars from then on.
 *
 * @param timeZone              zone the day and month windows follow (default {@code UTC})
 * @param alertFraction         share of a spend limit's budget at which an alert fires once per
 *                              window, for limits without their own {@code alerts} (default 0.8)
 * @param onExhaustion          no longer read: set only so that a config still carrying it is
 *                              refused with a message naming the rules file's
 *                              {@code settings.onBudgetExhausted}
 * @param reservationDeadlineMs how long a reservation may stay open before the reaper releases
 *                              it; must outlast the gateway's request timeout (default 360000)
 * @param reapIntervalMs        how often budget nodes reap expired reservations (default 1000)
 * @param operationTimeoutMs    bound on each Redis operation; past it paid calls fail closed
 *                              (default 250)
 * @param alertWebhook          optional http(s) URL alerts are POSTed to as unsigned JSON (the
 *                              short form of one {@code webhooks} entry)
 * @param limits                caps per scope and window
 * @param prices                per provider id, per model: price per million tokens
 * @param webhooks              where budget events are POSTed (operator config only)
 */
public record BudgetSection(
    String timeZone,
    Double alertFraction,
    String onExhaustion,
    Long reservationDeadlineMs,
    Long reapIntervalMs,
    Long operationTimeoutMs,
    String alertWebhook,
    List<Limit> limits,
    Map<String, Map<String, Price>> prices,
    List<Webhook> webhooks) {

  /**
   * @param scope    {@code global}, {@code tier:N}, {@code provider:<id>}, {@code tenant:<name>},
   *                 {@code tenant:<name>/provider:<id>}
   * @param window   {@code day} or {@code month}
   * @param usd       the budget in dollars, e.g. {@code "200.00"}; also the hard cap unless
   *                  {@code cutoffUsd} sets one above it
   * @param requests  cap on admitted requests in the window
   * @param alerts    levels at which an alert fires once per window: shares of {@code usd}
   *                  ({@code [0.8, 1.0]}) or dollar strings ({@code ["8.00"]}), read by
   *                  {@link io.tiermesh.contracts.BudgetLimitMoney}; default: {@code alertFraction}
   * @param cutoffUsd hard cap in dollars above the budget: reservations are refused there, not
   *                  at {@code usd}
   */
  public record Limit(String scope, String window, String usd, Long requests, List<Object> alerts,
      String cutoffUsd) {}

  /**
   * @param url       http(s) address events are POSTed to
   * @param secretEnv environment variable holding the HMAC-SHA256 signing secret; none = unsigned
   * @param format    {@code json} (default) or {@code slack}
   */
  public record Webhook(String url, String secretEnv, String format) {}

  /**
   * @param input           dollars per million prompt tokens, e.g. {@code "0.15"}
   * @param output          dollars per million completion tokens
   * @param maxOutputTokens optional cap on reservations (and the max tokens sent to the
   *                        backend), below the model's real output limit from its provider's
   *                        capabilities; null: that limit alone
   */
  public record Price(String input, String output, Integer maxOutputTokens) {}
}
