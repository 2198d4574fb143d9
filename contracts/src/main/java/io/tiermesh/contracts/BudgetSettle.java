package io.tiermesh.contracts;

/**
 * Router → budget role: close an attempt's reservation with what it really used. Idempotent per
 * request id and attempt: a repeated settle never charges twice.
 *
 * @param release  the attempt produced nothing billable: give the reservation back, no charge
 * @param routeReason why the router chose the target, kept in the ledger
 * @param keyId    the id of the API key the request came with (never the key), or null
 * @param user     the person the request counted against (see {@link BudgetReserve}), or null
 */
public record BudgetSettle(
    String requestId,
    int attempt,
    String tenant,
    int tier,
    String providerId,
    String model,
    int promptTokens,
    int completionTokens,
    String routeReason,
    boolean release,
    String keyId,
    String user) {

  public BudgetSettle(String requestId, int attempt, String tenant, int tier, String providerId,
      String model, int promptTokens, int completionTokens, String routeReason, boolean release,
      String keyId) {
    this(requestId, attempt, tenant, tier, providerId, model, promptTokens, completionTokens,
        routeReason, release, keyId, null);
  }

  public BudgetSettle(String requestId, int attempt, String tenant, int tier, String providerId,
      String model, int promptTokens, int completionTokens, String routeReason, boolean release) {
    this(requestId, attempt, tenant, tier, providerId, model, promptTokens, completionTokens,
        routeReason, release, null);
  }
}
