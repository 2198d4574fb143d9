package io.tiermesh.contracts;

import java.util.List;

/**
 * One turn of a conversation in the mesh's own wire-neutral form. {@code content} is the text
 * (content parts are flattened by the translators); tool traffic is typed rather than raw JSON.
 */
public record ChatMessage(
    String role, String content, String name, String toolCallId, List<ToolCall> toolCalls) {

  public static ChatMessage of(String role, String content) {
    return new ChatMessage(role, content, null, null, null);
  }

  public int textLength() {
    int n = content == null ? 0 : content.length();
    if (toolCalls != null) {
      for (ToolCall c : toolCalls) {
        n += c.argumentsJson() == null ? 0 : c.argumentsJson().length();
      }
    }
    return n;
  }
}
