package io.tiermesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ToolDef;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BudgetGateTest {

  static ChatRequest chat(String text, int messages, List<ToolDef> tools) {
    List<ChatMessage> ms = new java.util.ArrayList<>();
    for (int i = 0; i < messages; i++) {
      ms.add(ChatMessage.of("user", text));
    }
    return new ChatRequest("auto", ms, null, null, null, null, tools, null, null, null, false);
  }

  @ParameterizedTest(name = "max tokens {0}")
  @CsvSource({"1", "4096"})
  void theReservedCapBecomesTheCallsMaxTokens(int cap) {
    ChatRequest capped = BudgetGate.withMaxTokens(chat("hi", 2, null), cap);
    assertEquals(cap, capped.maxTokens());
    assertEquals(2, capped.messages().size());
  }
}
