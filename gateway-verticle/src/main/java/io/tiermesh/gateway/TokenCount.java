package io.tiermesh.gateway;

import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ToolDef;

/**
 * The gateway's count of a request's input tokens, before any backend has seen it: what
 * {@code count_tokens} answers and what a stream's {@code message_start} reports (the
 * backend's own count arrives with the stream's end). Four characters per token, tool
 * definitions included, as the router estimates prompt size; the backend chosen is not known
 * yet, and each tokenizer counts differently.
 */
final class TokenCount {

  private TokenCount() {}

  static int estimate(ChatRequest chat) {
    long chars = chat.promptChars();
    if (chat.tools() != null) {
      for (ToolDef t : chat.tools()) {
        chars += t.name().length() + (t.description() == null ? 0 : t.description().length())
            + (t.parametersJson() == null ? 0 : t.parametersJson().length());
      }
    }
    return (int) Math.min(Integer.MAX_VALUE, (chars + 3) / 4);
  }
}
