package io.tiermesh.contracts;

/** Provider instance → router: the call is being executed on this cluster node. */
public record ProviderAck(String requestId, int attempt, String nodeId) {}
