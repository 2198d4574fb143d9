package io.tiermesh.contracts;

/** A provider instance's state, published on change and on every health probe. */
public record ProviderStatus(
    String providerId,
    String nodeId,
    String instanceId,
    int tier,
    String breaker,
    int inFlight,
    String lastError,
    long timeMillis) {}
