package io.tiermesh.contracts;

import java.util.List;

/**
 * Router → gateway. On success {@code failure} is null and {@code route} names the target that
 * answered; {@code response} is null for streams (the chunks went to the stream address). On
 * failure {@code attempts} lists every target tried and why it failed.
 *
 * @param chunksSent chunks the successful (or last) attempt delivered to the stream address
 * @param reason     the decision's route reason when it failed or was refused (the gateway
 *                   still reports it in {@code X-TierMesh-Route-Reason}); null otherwise
 * @param costMicros what this request was charged over all its attempts, in µ$; null when
 *                   unknown (the budget role did not answer the settle)
 * @param budgetRemainingMicros the tightest applicable spend limit's room after this request,
 *                   in µ$; null when the request touched no spend limit (free tier)
 */
public record RouteOutcome(
    String requestId,
    RouteInfo route,
    ChatResponse response,
    Usage usage,
    long chunksSent,
    List<Attempt> attempts,
    Failure failure,
    String reason,
    Long costMicros,
    Long budgetRemainingMicros) {

  /** An outcome without reason or budget figures (the router's gates add those). */
  public RouteOutcome(String requestId, RouteInfo route, ChatResponse response, Usage usage,
      long chunksSent, List<Attempt> attempts, Failure failure) {
    this(requestId, route, response, usage, chunksSent, attempts, failure, null, null, null);
  }

  public RouteOutcome withReason(String newReason) {
    return new RouteOutcome(requestId, route, response, usage, chunksSent, attempts, failure,
        newReason, costMicros, budgetRemainingMicros);
  }

  public RouteOutcome withBudget(Long cost, Long remaining) {
    return new RouteOutcome(requestId, route, response, usage, chunksSent, attempts, failure,
        reason, cost, remaining);
  }

  public boolean ok() {
    return failure == null;
  }
}
