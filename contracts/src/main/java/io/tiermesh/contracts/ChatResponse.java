package io.tiermesh.contracts;

import java.util.List;

/**
 * A complete (non-streamed) answer from a backend, in wire-neutral form.
 *
 * @param refusal  the model's refusal text (OpenAI {@code message.refusal}), or null
 * @param logprobs per-token log probabilities of the content, when the client asked for them
 */
public record ChatResponse(
    String id, long created, String model, ChatMessage message, String finishReason, Usage usage,
    String refusal, List<TokenLogprob> logprobs) {

  public ChatResponse(String id, long created, String model, ChatMessage message,
      String finishReason, Usage usage) {
    this(id, created, model, message, finishReason, usage, null, null);
  }

  public ChatResponse withUsage(Usage newUsage) {
    return new ChatResponse(id, created, model, message, finishReason, newUsage, refusal,
        logprobs);
  }
}
