package io.tiermesh.contracts;

import java.util.List;

/**
 * One turn of a conversation in the mesh's own wire-neutral form. {@code content} is the text
 * (text parts joined), null for an assistant turn that only calls tools; tool traffic is typed
 * rather than raw JSON.
 *
 * @param name       the participant's name, or for a {@code tool} turn the name of the tool
 *                   whose result it carries
 * @param toolCallId for a {@code tool} turn, the id of the call it answers
 * @param parts      the ordered content parts when the turn has more than text (images), else
 *                   null; {@code content} still holds the text alone
 */
public record ChatMessage(
    String role, String content, String name, String toolCallId, List<ToolCall> toolCalls,
    List<ContentPart> parts) {

  public ChatMessage(String role, String content, String name, String toolCallId,
      List<ToolCall> toolCalls) {
    this(role, content, name, toolCallId, toolCalls, null);
  }

  public static ChatMessage of(String role, String content) {
    return new ChatMessage(role, content, null, null, null, null);
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

  /** True when some part is an image. */
  public boolean hasImages() {
    if (parts == null) {
      return false;
    }
    for (ContentPart p : parts) {
      if (p instanceof ContentPart.Image) {
        return true;
      }
    }
    return false;
  }
}
