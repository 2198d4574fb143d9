package io.tiermesh.contracts.config;

import java.util.Map;

/**
 * What one backend model can do, as data: defaults per provider kind ({@link #defaultsFor}),
 * overridable per provider and per model in the node configuration
 * ({@link CapabilityOverrides}). The router reads it to skip targets that cannot serve a
 * request; translators read it to carry or leave out a field.
 *
 * @param tools               takes function tools
 * @param forcedToolChoice    can be made to call a tool (natively, or emulated as on Ollama)
 * @param parallelToolCalls   takes the {@code parallel_tool_calls} setting; without it the field
 *                            is left out (the model decides)
 * @param vision              takes image parts
 * @param jsonSchema          can answer in a given JSON schema (natively or emulated)
 * @param logprobs            reports token log probabilities
 * @param thinking            takes Anthropic's {@code thinking} setting and answers with thinking
 *                            blocks; without it the setting is dropped
 * @param maxCompletionTokens takes the limit under the name {@code max_completion_tokens}
 *                            (OpenAI-compatible backends); without it a client's
 *                            {@code max_completion_tokens} is sent as {@code max_tokens}
 * @param maxContextTokens    the context window in tokens, or null when unknown (not checked)
 * @param maxOutputTokens     the most output tokens one answer may have, or null when the
 *                            backend has no such limit (Ollama generates until done): a larger
 *                            request is lowered to it, budgets reserve at most it, and a backend
 *                            that requires a limit (Anthropic) is sent it when the client set none
 */
public record Capabilities(
    boolean tools,
    boolean forcedToolChoice,
    boolean parallelToolCalls,
    boolean vision,
    boolean jsonSchema,
    boolean logprobs,
    boolean thinking,
    boolean maxCompletionTokens,
    Integer maxContextTokens,
    Integer maxOutputTokens) {

  /** Ollama's {@code /api/chat}: forced tool choice and schemas through {@code format}. */
  public static final Capabilities OLLAMA = new Capabilities(true, true, false, true, true, true,
      false, false, null, null);
  /** An OpenAI-compatible endpoint, sized like OpenAI's gpt-4o. */
  public static final Capabilities OPENAI = new Capabilities(true, true, true, true, true, true,
      false, true, 128_000, 16_384);
  /**
   * Anthropic's Messages API: a schema is emulated with a forced tool; no log probabilities.
   * 8192 output tokens is what every current Claude model allows at least.
   */
  public static final Capabilities ANTHROPIC = new Capabilities(true, true, true, true, true,
      false, true, false, 200_000, 8_192);

  /** The defaults table, by provider kind. */
  public static final Map<String, Capabilities> DEFAULTS = Map.of(
      "ollama", OLLAMA, "openai", OPENAI, "anthropic", ANTHROPIC);

  public static Capabilities defaultsFor(String kind) {
    Capabilities c = DEFAULTS.get(kind);
    if (c == null) {
      throw new IllegalArgumentException("no capability defaults for provider kind " + kind);
    }
    return c;
  }

  /** Whether the model has {@code capability} (for the context length: whether it is known). */
  public boolean has(Capability capability) {
    return switch (capability) {
      case TOOLS -> tools;
      case FORCED_TOOL_CHOICE -> forcedToolChoice;
      case VISION -> vision;
      case JSON_SCHEMA -> jsonSchema;
      case LOGPROBS -> logprobs;
      case CONTEXT_LENGTH -> true;
    };
  }

  /** The output limit for a request that asked for {@code requested} (null: none). */
  public Integer outputLimit(Integer requested) {
    if (maxOutputTokens == null) {
      return requested;
    }
    return requested == null ? maxOutputTokens : Math.min(requested, maxOutputTokens);
  }

  /** These capabilities with the values {@code o} sets (its per-model table is not read). */
  public Capabilities with(CapabilityOverrides o) {
    if (o == null) {
      return this;
    }
    return new Capabilities(
        or(o.tools(), tools), or(o.forcedToolChoice(), forcedToolChoice),
        or(o.parallelToolCalls(), parallelToolCalls), or(o.vision(), vision),
        or(o.jsonSchema(), jsonSchema), or(o.logprobs(), logprobs), or(o.thinking(), thinking),
        or(o.maxCompletionTokens(), maxCompletionTokens),
        o.maxContextTokens() != null ? o.maxContextTokens() : maxContextTokens,
        o.maxOutputTokens() != null ? o.maxOutputTokens() : maxOutputTokens);
  }

  private static boolean or(Boolean set, boolean otherwise) {
    return set != null ? set : otherwise;
  }
}
