package io.tiermesh.contracts;

import java.util.List;

/** Router → gateway: the result of an embedding request after walking its chain. */
public record EmbedOutcome(
    String requestId,
    RouteInfo route,
    String model,
    List<List<Double>> vectors,
    Usage usage,
    List<Attempt> attempts,
    Failure failure) {

  public boolean ok() {
    return failure == null;
  }
}
