package io.tiermesh.contracts;

import java.util.List;

/**
 * Provider → gateway: one piece of a streamed answer.
 *
 * @param seq        0-based position within the attempt; the gateway drops anything out of order
 * @param route      set on the first chunk only, so the gateway can write its headers
 * @param toolCalls  tool-call deltas (OpenAI streaming semantics: index-addressed fragments)
 * @param end        the last chunk of a successful stream; carries usage and finish reason
 * @param retries    on the first chunk: same-backend retries spent before this stream started
 * @param refusal    a piece of the model's refusal text, or null
 * @param logprobs   log probabilities of this chunk's content tokens, when asked for
 * @param thinking   a piece of a thinking block (Anthropic backends), or null
 */
public record StreamChunk(
    String requestId,
    int attempt,
    long seq,
    RouteInfo route,
    String text,
    List<ToolCallDelta> toolCalls,
    boolean end,
    String finishReason,
    Usage usage,
    int retries,
    String refusal,
    List<TokenLogprob> logprobs,
    ThinkingDelta thinking) {

  public StreamChunk(String requestId, int attempt, long seq, RouteInfo route, String text,
      List<ToolCallDelta> toolCalls, boolean end, String finishReason, Usage usage, int retries,
      String refusal, List<TokenLogprob> logprobs) {
    this(requestId, attempt, seq, route, text, toolCalls, end, finishReason, usage, retries,
        refusal, logprobs, null);
  }

  public StreamChunk(String requestId, int attempt, long seq, RouteInfo route, String text,
      List<ToolCallDelta> toolCalls, boolean end, String finishReason, Usage usage, int retries) {
    this(requestId, attempt, seq, route, text, toolCalls, end, finishReason, usage, retries, null,
        null);
  }

  public StreamChunk(String requestId, int attempt, long seq, RouteInfo route, String text,
      List<ToolCallDelta> toolCalls, boolean end, String finishReason, Usage usage) {
    this(requestId, attempt, seq, route, text, toolCalls, end, finishReason, usage, 0);
  }
}
