package io.tiermesh.gateway.privacy;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolDef;
import java.util.ArrayList;
import java.util.List;

/** Every piece of a chat request's text that a backend would receive: what detectors scan. */
public final class PromptTexts {

  private PromptTexts() {}

  public static List<String> of(ChatRequest chat) {
    List<String> out = new ArrayList<>(chat.messages().size() + 4);
    for (ChatMessage m : chat.messages()) {
      add(out, m.content());
      if (m.toolCalls() != null) {
        for (ToolCall c : m.toolCalls()) {
          add(out, c.argumentsJson());
        }
      }
    }
    if (chat.tools() != null) {
      for (ToolDef t : chat.tools()) {
        add(out, t.description());
        add(out, t.parametersJson());
      }
    }
    if (chat.stop() != null) {
      chat.stop().forEach(s -> add(out, s));
    }
    return out;
  }

  private static void add(List<String> out, String s) {
    if (s != null && !s.isEmpty()) {
      out.add(s);
    }
  }
}
