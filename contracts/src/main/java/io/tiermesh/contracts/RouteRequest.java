package io.tiermesh.contracts;

/**
 * Gateway → router: serve this chat request.
 *
 * @param streamAddress where chunks go when the client asked for a stream, else null
 * @param deadlineMillis epoch millis after which nobody waits for the answer any more
 */
public record RouteRequest(
    String requestId,
    String tenant,
    ChatRequest chat,
    RoutingHints hints,
    String streamAddress,
    long deadlineMillis) {}
