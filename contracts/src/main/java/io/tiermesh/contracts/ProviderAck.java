package io.tiermesh.contracts;

/**
 * Provider instance → router: which cluster node executes an attempt. Sent when the call is
 * taken ({@code streaming} false) and again just before the first chunk leaves for the client
 * ({@code streaming} true): from then on the router must not retry the attempt elsewhere, or
 * the client would see text twice.
 */
public record ProviderAck(String requestId, int attempt, String nodeId, boolean streaming) {}
