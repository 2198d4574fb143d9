package io.tiermesh.contracts;

import java.util.List;

/**
 * Router → provider instance: one embedding attempt. Acknowledged like a {@link ProviderCall}
 * so a node loss is failed over from membership events.
 *
 * @param requestedModel the client's model name; the provider serves it if it lists it, else
 *                       its configured embedding model
 */
public record EmbedCall(
    String requestId,
    int attempt,
    String requestedModel,
    List<String> input,
    Integer dimensions,
    RouteInfo route,
    boolean localOnly,
    String ackAddress,
    long deadlineMillis) implements AttemptCall {}
