package io.tiermesh.budget;

/**
 * What the ledger records about a settled call besides its cost.
 *
 * @param routeReason why the router picked this target (low-cardinality label)
 * @param keyId the id of the API key the request came with (never the key), or null
 * @param user the person the call counted against (key owner or trusted user field), or null
 * @param premiumMicros what the same tokens would have cost on the premium model, in µ$ (0 when
 *                      no premium model is priced); the usage rollups sum it for the savings
 */
public record ChargeDetails(String tenant, int tier, String providerId, String model,
    int promptTokens, int completionTokens, String routeReason, String keyId,
    long premiumMicros, String user) {

  public ChargeDetails(String tenant, int tier, String providerId, String model,
      int promptTokens, int completionTokens, String routeReason, String keyId,
      long premiumMicros) {
    this(tenant, tier, providerId, model, promptTokens, completionTokens, routeReason, keyId,
        premiumMicros, null);
  }

  public ChargeDetails(String tenant, int tier, String providerId, String model,
      int promptTokens, int completionTokens, String routeReason) {
    this(tenant, tier, providerId, model, promptTokens, completionTokens, routeReason, null, 0);
  }
}
