package io.tiermesh.node.chat;

/**
 * One request's result as the chat client saw it.
 *
 * @param status       HTTP status (200 also for a stream that broke off: see errorCode)
 * @param errorCode    the API error's {@code code} (in the body or the stream's error event),
 *                     {@code stream_interrupted} for a stream that ended without {@code [DONE]};
 *                     null when answered
 * @param errorMessage the API's own message, or null
 * @param tier         the X-TierMesh-* headers, null where absent
 * @param costUsd      dollars as the gateway spells them; for a stream, from the explain
 * @param latencyMs    from sending to the last byte
 * @param firstTokenMs from sending to the first content, null without content
 */
record Answer(int status, String requestId, String text, String errorCode, String errorMessage,
    String tier, String provider, String model, String reason, String attempts, String costUsd,
    String budgetRemainingUsd, long latencyMs, Long firstTokenMs) {

  boolean ok() {
    return status == 200 && errorCode == null;
  }

  Answer withCost(String cost, String remaining) {
    return new Answer(status, requestId, text, errorCode, errorMessage, tier, provider, model,
        reason, attempts, cost, remaining, latencyMs, firstTokenMs);
  }

  int exitCode() {
    return ExitCodes.of(status, errorCode);
  }
}
