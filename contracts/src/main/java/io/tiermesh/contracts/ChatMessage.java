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
 * @param cacheControl the client's prompt-caching mark on this turn (Anthropic's {@code
 *                   cache_control}), or null; only Anthropic-format backends receive it
 */
public record ChatMessage(
    String role, String content, String name, String toolCallId, List<ToolCall> toolCalls,
    List<ContentPart> parts, CacheControl cacheControl) {

  public ChatMessage(String role, String content, String name, String toolCallId,
      List<ToolCall> toolCalls, List<ContentPart> parts) {
    this(role, content, name, toolCallId, toolCalls, parts, null);
  }

  /** This turn with the client's caching mark (null: none). */
  public ChatMessage withCacheControl(CacheControl mark) {
    return new ChatMessage(role, content, name, toolCallId, toolCalls, parts, mark);
  }

  public ChatMessage(String role, String content, String name, String toolCallId,
      List<ToolCall> toolCalls) {
    this(role, content, name, toolCallId, toolCalls, null, null);
  }

  public static ChatMessage of(String role, String content) {
    return new ChatMessage(role, content, null, null, null, null, null);
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
