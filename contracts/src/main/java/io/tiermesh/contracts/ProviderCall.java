package io.tiermesh.contracts;

/**
 * Router → provider instance: execute one attempt.
 *
 * @param attempt       1-based; with the request id, it names the attempt everywhere (logs,
 *                      the upstream's X-Request-Id, the ledger)
 * @param localOnly     the privacy verdict: only a local-tier provider may serve this; a
 *                      non-local provider refuses it even if routing went wrong
 * @param ackAddress    where the instance says which node took the call, so that a node loss
 *                      can be detected from cluster membership instead of a long timeout
 * @param streamAddress where chunks go, or null for a non-streamed call
 */
public record ProviderCall(
    String requestId,
    int attempt,
    ChatRequest chat,
    RouteInfo route,
    boolean localOnly,
    String ackAddress,
    String streamAddress,
    long deadlineMillis) implements AttemptCall {}
