package io.tiermesh.contracts;

/**
 * Router → budget role, fire and forget: a free (tier 1) call that needs no reservation but
 * belongs in the usage report, so savings against the premium tier count all traffic.
 *
 * @param keyId the id of the API key the request came with (never the key), or null
 * @param user  the person the request counted against, or null
 */
public record BudgetUsageRecord(
    String requestId,
    int attempt,
    String tenant,
    int tier,
    String providerId,
    String model,
    int promptTokens,
    int completionTokens,
    String routeReason,
    String keyId,
    String user) {

  public BudgetUsageRecord(String requestId, int attempt, String tenant, int tier,
      String providerId, String model, int promptTokens, int completionTokens,
      String routeReason, String keyId) {
    this(requestId, attempt, tenant, tier, providerId, model, promptTokens, completionTokens,
        routeReason, keyId, null);
  }

  public BudgetUsageRecord(String requestId, int attempt, String tenant, int tier,
      String providerId, String model, int promptTokens, int completionTokens,
      String routeReason) {
    this(requestId, attempt, tenant, tier, providerId, model, promptTokens, completionTokens,
        routeReason, null);
  }
}
