package io.tiermesh.contracts;

import java.util.List;
import java.util.Map;

/**
 * The request settings beyond the common core, carried for the backends that take them. Null
 * when a request sets none of them (the usual case), so plain requests carry nothing extra.
 *
 * @param maxCompletionTokens the client named its limit {@code max_completion_tokens} (newer
 *                            OpenAI models accept only that name); an OpenAI-format backend gets
 *                            the name the client used
 * @param logitBias           token id (as text) to bias, as OpenAI's {@code logit_bias}
 * @param topK                Anthropic's and Ollama's {@code top_k}
 * @param reasoningEffort     OpenAI's {@code reasoning_effort} ({@code low}, {@code medium}…)
 * @param parallelToolCalls   whether the model may call several tools in one turn
 * @param user                the client's end-user id (OpenAI {@code user}, Anthropic
 *                            {@code metadata.user_id})
 * @param logprobs            whether the answer reports token log probabilities
 * @param topLogprobs         how many most likely tokens each position lists (0 to 20)
 * @param thinking            Anthropic's {@code thinking} setting, or null
 * @param anthropicBeta       the client's {@code anthropic-beta} flags, for Anthropic-format
 *                            backends only
 */
public record ChatOptions(
    boolean maxCompletionTokens,
    Double presencePenalty,
    Double frequencyPenalty,
    Map<String, Integer> logitBias,
    Integer topK,
    String reasoningEffort,
    Boolean parallelToolCalls,
    String user,
    Boolean logprobs,
    Integer topLogprobs,
    ThinkingSetting thinking,
    List<String> anthropicBeta) {

  public ChatOptions(boolean maxCompletionTokens, Double presencePenalty,
      Double frequencyPenalty, Map<String, Integer> logitBias, Integer topK,
      String reasoningEffort, Boolean parallelToolCalls, String user, Boolean logprobs,
      Integer topLogprobs) {
    this(maxCompletionTokens, presencePenalty, frequencyPenalty, logitBias, topK,
        reasoningEffort, parallelToolCalls, user, logprobs, topLogprobs, null, null);
  }

  public ChatOptions(boolean maxCompletionTokens, Double presencePenalty,
      Double frequencyPenalty, Map<String, Integer> logitBias, Integer topK,
      String reasoningEffort, Boolean parallelToolCalls, String user, Boolean logprobs,
      Integer topLogprobs, ThinkingSetting thinking) {
    this(maxCompletionTokens, presencePenalty, frequencyPenalty, logitBias, topK,
        reasoningEffort, parallelToolCalls, user, logprobs, topLogprobs, thinking, null);
  }

  /** These options with the client's {@code anthropic-beta} flags. */
  public static ChatOptions withAnthropicBeta(ChatOptions options, List<String> flags) {
    ChatOptions o = options != null ? options
        : new ChatOptions(false, null, null, null, null, null, null, null, null, null);
    return new ChatOptions(o.maxCompletionTokens, o.presencePenalty, o.frequencyPenalty,
        o.logitBias, o.topK, o.reasoningEffort, o.parallelToolCalls, o.user, o.logprobs,
        o.topLogprobs, o.thinking, flags == null || flags.isEmpty() ? null : List.copyOf(flags));
  }

  /** True when the answer must report log probabilities. */
  public boolean wantsLogprobs() {
    return Boolean.TRUE.equals(logprobs);
  }

  /** The options, or null when none is set: a request without any carries nothing. */
  public static ChatOptions ofNullable(boolean maxCompletionTokens, Double presencePenalty,
      Double frequencyPenalty, Map<String, Integer> logitBias, Integer topK,
      String reasoningEffort, Boolean parallelToolCalls, String user, Boolean logprobs,
      Integer topLogprobs) {
    return ofNullable(maxCompletionTokens, presencePenalty, frequencyPenalty, logitBias, topK,
        reasoningEffort, parallelToolCalls, user, logprobs, topLogprobs, null);
  }

  /** As above, with Anthropic's {@code thinking} setting. */
  public static ChatOptions ofNullable(boolean maxCompletionTokens, Double presencePenalty,
      Double frequencyPenalty, Map<String, Integer> logitBias, Integer topK,
      String reasoningEffort, Boolean parallelToolCalls, String user, Boolean logprobs,
      Integer topLogprobs, ThinkingSetting thinking) {
    if (!maxCompletionTokens && presencePenalty == null && frequencyPenalty == null
        && logitBias == null && topK == null && reasoningEffort == null
        && parallelToolCalls == null && user == null && logprobs == null
        && topLogprobs == null && thinking == null) {
      return null;
    }
    return new ChatOptions(maxCompletionTokens, presencePenalty, frequencyPenalty, logitBias,
        topK, reasoningEffort, parallelToolCalls, user, logprobs, topLogprobs, thinking);
  }
}
