package io.tiermesh.contracts;

import java.util.List;

/**
 * A chat request after the gateway has parsed and validated it, from whichever API the client
 * used. Every field is typed; a backend's translator carries, translates or (for what its wire
 * format cannot express) refuses each one, as the README's field table lists.
 *
 * @param model          the name the client asked for ({@code auto}, {@code tier-2},
 *                       {@code provider/model}); the router replaces it with the backend model
 * @param toolChoice     the client's tool choice, or null (the backend's default)
 * @param responseFormat the client's response format, or null
 * @param options        the settings beyond these, or null when the client set none
 */
public record ChatRequest(
    String model,
    List<ChatMessage> messages,
    Integer maxTokens,
    Double temperature,
    Double topP,
    List<String> stop,
    List<ToolDef> tools,
    ToolChoice toolChoice,
    ResponseFormat responseFormat,
    Long seed,
    boolean stream,
    ChatOptions options) {

  /** A request with no settings beyond the common ones. */
  public ChatRequest(String model, List<ChatMessage> messages, Integer maxTokens,
      Double temperature, Double topP, List<String> stop, List<ToolDef> tools,
      ToolChoice toolChoice, ResponseFormat responseFormat, Long seed, boolean stream) {
    this(model, messages, maxTokens, temperature, topP, stop, tools, toolChoice, responseFormat,
        seed, stream, null);
  }

  public ChatRequest withModel(String newModel) {
    return new ChatRequest(newModel, messages, maxTokens, temperature, topP, stop, tools,
        toolChoice, responseFormat, seed, stream, options);
  }

  public ChatRequest withOptions(ChatOptions newOptions) {
    return new ChatRequest(model, messages, maxTokens, temperature, topP, stop, tools,
        toolChoice, responseFormat, seed, stream, newOptions);
  }

  public ChatRequest withMaxTokens(Integer newMaxTokens) {
    return new ChatRequest(model, messages, newMaxTokens, temperature, topP, stop, tools,
        toolChoice, responseFormat, seed, stream, options);
  }

  /** A copy for another backend model, streamed or not (shadow traffic). */
  public ChatRequest withModelAndStream(String newModel, boolean newStream) {
    return new ChatRequest(newModel, messages, maxTokens, temperature, topP, stop, tools,
        toolChoice, responseFormat, seed, newStream, options);
  }

  /** True when some message carries an image. */
  public boolean hasImages() {
    for (ChatMessage m : messages) {
      if (m.hasImages()) {
        return true;
      }
    }
    return false;
  }

  /** Total characters of message text: the input to token estimates and complexity. */
  public int promptChars() {
    int n = 0;
    for (ChatMessage m : messages) {
      n += m.textLength();
    }
    return n;
  }
}
