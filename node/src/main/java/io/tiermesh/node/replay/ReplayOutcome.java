package io.tiermesh.node.replay;

/**
 * What the client saw for one replayed request: status, the request id the gateway assigned
 * ({@code X-Request-Id}, which the backends log), the tier, provider and route reason headers,
 * the charged cost when the answer carried it (non-streamed), the tokens the answer reported,
 * and whether a stream ended with {@code [DONE]}.
 */
public record ReplayOutcome(ReplayRequest request, int status, String gatewayId, int tier,
    String provider, String routeReason, Long costMicros, long promptTokens,
    long completionTokens, boolean complete, String error) {

  public boolean ok() {
    return status == 200 && complete;
  }
}
