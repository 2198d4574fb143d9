package io.tiermesh.contracts;

/**
 * Gateway → router: serve this chat request.
 *
 * @param streamAddress  where chunks go when the client asked for a stream, else null
 * @param deadlineMillis epoch millis after which nobody waits for the answer any more
 * @param tenantPolicy   the execution policy of the caller's tenant record ({@code local_only},
 *                       {@code local_and_hosted}, {@code multi_cloud}), or null; the router
 *                       applies the stricter of it and the rules file's tenant policy
 */
public record RouteRequest(
    String requestId,
    String tenant,
    ChatRequest chat,
    RoutingHints hints,
    String streamAddress,
    long deadlineMillis,
    String tenantPolicy) {

  public RouteRequest(String requestId, String tenant, ChatRequest chat, RoutingHints hints,
      String streamAddress, long deadlineMillis) {
    this(requestId, tenant, chat, hints, streamAddress, deadlineMillis, null);
  }
}
