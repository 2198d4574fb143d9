package io.tiermesh.contracts;

/**
 * Gateway → router: serve this chat request.
 *
 * @param streamAddress  where chunks go when the client asked for a stream, else null
 * @param deadlineMillis epoch millis after which nobody waits for the answer any more
 * @param tenantPolicy   the execution policy of the caller's tenant record ({@code local_only},
 *                       {@code local_and_hosted}, {@code multi_cloud}), or null; the router
 *                       applies the stricter of it and the rules file's tenant policy
 * @param gatewayNodeId  the node of the gateway that waits for the answer, or null
 * @param claim          the gateway's idempotency claim for this request, or null: if that
 *                       gateway leaves the cluster before the answer is back, the router hands
 *                       the outcome to another gateway to store under this claim
 * @param user           the person the request's spend counts against for per-user budgets
 *                       (the key's owner, or the request's own user field when the tenant
 *                       trusts it), or null
 */
public record RouteRequest(
    String requestId,
    String tenant,
    ChatRequest chat,
    RoutingHints hints,
    String streamAddress,
    long deadlineMillis,
    String tenantPolicy,
    String gatewayNodeId,
    IdempotencyClaim claim,
    String keyId,
    String user) {

  public RouteRequest(String requestId, String tenant, ChatRequest chat, RoutingHints hints,
      String streamAddress, long deadlineMillis, String tenantPolicy, String gatewayNodeId,
      IdempotencyClaim claim, String keyId) {
    this(requestId, tenant, chat, hints, streamAddress, deadlineMillis, tenantPolicy,
        gatewayNodeId, claim, keyId, null);
  }

  public RouteRequest(String requestId, String tenant, ChatRequest chat, RoutingHints hints,
      String streamAddress, long deadlineMillis, String tenantPolicy, String gatewayNodeId,
      IdempotencyClaim claim) {
    this(requestId, tenant, chat, hints, streamAddress, deadlineMillis, tenantPolicy,
        gatewayNodeId, claim, null);
  }

  public RouteRequest(String requestId, String tenant, ChatRequest chat, RoutingHints hints,
      String streamAddress, long deadlineMillis, String tenantPolicy) {
    this(requestId, tenant, chat, hints, streamAddress, deadlineMillis, tenantPolicy, null, null);
  }

  public RouteRequest(String requestId, String tenant, ChatRequest chat, RoutingHints hints,
      String streamAddress, long deadlineMillis) {
    this(requestId, tenant, chat, hints, streamAddress, deadlineMillis, null);
  }

  /** This request as sent by the gateway on {@code nodeId}, holding {@code claim} (or null). */
  public RouteRequest from(String nodeId, IdempotencyClaim idempotencyClaim) {
    return new RouteRequest(requestId, tenant, chat, hints, streamAddress, deadlineMillis,
        tenantPolicy, nodeId, idempotencyClaim, keyId, user);
  }

  /** This request as made with the API key {@code id}. */
  public RouteRequest withKeyId(String id) {
    return new RouteRequest(requestId, tenant, chat, hints, streamAddress, deadlineMillis,
        tenantPolicy, gatewayNodeId, claim, id, user);
  }

  /** This request as counted against the person {@code person} (or nobody: null). */
  public RouteRequest withUser(String person) {
    return new RouteRequest(requestId, tenant, chat, hints, streamAddress, deadlineMillis,
        tenantPolicy, gatewayNodeId, claim, keyId, person);
  }
}
