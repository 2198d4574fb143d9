package io.tiermesh.contracts;

import java.util.List;

/**
 * A chat request after the gateway has parsed it from whichever API the client used. Fields
 * that a backend may not support are carried and dropped by that backend's translator.
 *
 * @param model          the name the client asked for ({@code auto}, {@code tier-2},
 *                       {@code provider/model}); the router replaces it with the backend model
 * @param toolChoiceJson the client's {@code tool_choice} as JSON text, or null
 * @param responseFormatJson the client's {@code response_format} as JSON text, or null
 */
public record ChatRequest(
    String model,
    List<ChatMessage> messages,
    Integer maxTokens,
    Double temperature,
    Double topP,
    List<String> stop,
    List<ToolDef> tools,
    String toolChoiceJson,
    String responseFormatJson,
    Long seed,
    boolean stream) {

  public ChatRequest withModel(String newModel) {
    return new ChatRequest(newModel, messages, maxTokens, temperature, topP, stop, tools,
        toolChoiceJson, responseFormatJson, seed, stream);
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
