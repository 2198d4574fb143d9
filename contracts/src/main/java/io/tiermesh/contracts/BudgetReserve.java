package io.tiermesh.contracts;

/**
 * Router → budget role: hold the worst case of one attempt on a paid target before calling it.
 * The budget role owns prices and limits, so the router sends token counts, not money.
 *
 * @param attempt         1-based attempt number; with the request id it names the reservation
 * @param promptTokens    an upper-bound estimate of the prompt's tokens
 * @param maxOutputTokens what the client asked for, or null; the budget role caps it at the
 *                        model's configured maximum and reports the cap it reserved for
 * @param holderNodeId    the node that will settle (shown to operators for stuck reservations)
 * @param rule            the routing rule whose own target this attempt is, when that rule has a
 *                        {@code maxPerDay} cap; null otherwise. The budget role then also counts
 *                        the attempt in the rule's day counter ({@code rule:<name>}), in the same
 *                        all-or-nothing reservation, so the cap holds across every router
 * @param ruleMaxPerDay   that rule's cap, or null
 * @param keyId           the id of the API key the request came with (never the key), or null:
 *                        per-key limits ({@code key:*}) count it
 * @param user            the person the request counts against (the key's owner, or the
 *                        request's user field when its tenant trusts it), or null: per-user
 *                        limits ({@code user:*}) count it
 */
public record BudgetReserve(
    String requestId,
    int attempt,
    String tenant,
    int tier,
    String providerId,
    String model,
    int promptTokens,
    Integer maxOutputTokens,
    String holderNodeId,
    String rule,
    Integer ruleMaxPerDay,
    String keyId,
    String user) {

  public BudgetReserve(String requestId, int attempt, String tenant, int tier, String providerId,
      String model, int promptTokens, Integer maxOutputTokens, String holderNodeId, String rule,
      Integer ruleMaxPerDay) {
    this(requestId, attempt, tenant, tier, providerId, model, promptTokens, maxOutputTokens,
        holderNodeId, rule, ruleMaxPerDay, null, null);
  }

  /** An attempt that counts against no rule cap. */
  public BudgetReserve(String requestId, int attempt, String tenant, int tier, String providerId,
      String model, int promptTokens, Integer maxOutputTokens, String holderNodeId) {
    this(requestId, attempt, tenant, tier, providerId, model, promptTokens, maxOutputTokens,
        holderNodeId, null, null);
  }

  public boolean ruleCapped() {
    return rule != null && ruleMaxPerDay != null;
  }
}
