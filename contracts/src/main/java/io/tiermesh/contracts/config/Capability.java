package io.tiermesh.contracts.config;

/**
 * Something a request may need from a backend model. The router skips a target whose
 * {@link Capabilities} lack a need of the request instead of letting the backend quietly answer
 * something else (plain text for a forced tool call, a description of no image).
 */
public enum Capability {
  /** The request offers tools the model may call. */
  TOOLS("tools"),
  /** The request forces a tool call ({@code required}, a named function, Anthropic {@code any}). */
  FORCED_TOOL_CHOICE("forced_tool_choice"),
  /** A message carries an image. */
  VISION("vision"),
  /** The answer must match a JSON schema ({@code response_format} {@code json_schema}). */
  JSON_SCHEMA("json_schema"),
  /** The answer must report token log probabilities. */
  LOGPROBS("logprobs"),
  /** The prompt is longer than the model's context window. */
  CONTEXT_LENGTH("context_length");

  private final String key;

  Capability(String key) {
    this.key = key;
  }

  /** The name used in errors, explanations, route reasons and the docs. */
  public String key() {
    return key;
  }
}
