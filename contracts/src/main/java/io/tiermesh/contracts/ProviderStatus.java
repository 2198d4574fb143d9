package io.tiermesh.contracts;

/**
 * A provider instance's state, published on change, periodically and after every health probe.
 *
 * @param probe       the last health probe: {@code ok}, a failure code, or null before the first
 * @param probeMillis when that probe finished (epoch millis), 0 before the first
 * @param warming     the instance still loads its models and takes no traffic yet
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
    long probeMillis,
    boolean warming) {

  public ProviderStatus(String providerId, String nodeId, String instanceId, int tier,
      String breaker, int inFlight, String lastError, long timeMillis) {
    this(providerId, nodeId, instanceId, tier, breaker, inFlight, lastError, timeMillis, null, 0,
        false);
  }

  public ProviderStatus(String providerId, String nodeId, String instanceId, int tier,
      String breaker, int inFlight, String lastError, long timeMillis, String probe,
      long probeMillis) {
    this(providerId, nodeId, instanceId, tier, breaker, inFlight, lastError, timeMillis, probe,
        probeMillis, false);
  }

  /** Whether the instance can take a call now: warmed up and its breaker not open. */
  public boolean serviceable() {
    return !warming && !"OPEN".equals(breaker);
  }
}
