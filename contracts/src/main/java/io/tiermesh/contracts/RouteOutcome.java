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
 */
public record RouteOutcome(
    String requestId,
    RouteInfo route,
    ChatResponse response,
    Usage usage,
    long chunksSent,
    List<Attempt> attempts,
    Failure failure,
    String reason) {

  public RouteOutcome(String requestId, RouteInfo route, ChatResponse response, Usage usage,
      long chunksSent, List<Attempt> attempts, Failure failure) {
    this(requestId, route, response, usage, chunksSent, attempts, failure, null);
  }

  public RouteOutcome withReason(String newReason) {
    return new RouteOutcome(requestId, route, response, usage, chunksSent, attempts, failure,
        newReason);
  }

  public boolean ok() {
    return failure == null;
  }
}
