package io.tiermesh.contracts;

/**
 * What the caller told the mesh about a request (headers or body {@code metadata}). Values are
 * already validated by the gateway: lower-case members of their allowed sets, or null.
 */
public record RoutingHints(
    String classification, String task, String quality, String complexity, Integer batchSize) {

  public static final RoutingHints NONE = new RoutingHints(null, null, null, null, null);
}
