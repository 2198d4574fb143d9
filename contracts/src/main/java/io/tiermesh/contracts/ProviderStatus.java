package io.tiermesh.contracts;

/**
 * A provider instance's state, published on change, periodically and after every health probe.
 *
 * @param probe       the last health probe: {@code ok}, a failure code, or null before the first
 * @param probeMillis when that probe finished (epoch millis), 0 before the first
 */
public record ProviderStatus(
    String providerId,
    String nodeId,
    String instanceId,
    int tier,
    String breaker,
    int inFlight,
    String lastError,
    long timeMillis,
    String probe,
    long probeMillis) {

  public ProviderStatus(String providerId, String nodeId, String instanceId, int tier,
      String breaker, int inFlight, String lastError, long timeMillis) {
    this(providerId, nodeId, instanceId, tier, breaker, inFlight, lastError, timeMillis, null, 0);
  }
}
