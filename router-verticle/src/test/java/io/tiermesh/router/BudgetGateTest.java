package io.tiermesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  @ParameterizedTest(name = "{0} chars x {1} messages")
  @CsvSource({
      // chars, messages, expected = ceil(chars*messages / 2) + 8*messages + 16
      "0, 1, 24",
      "1, 1, 25",
      "4, 1, 26",
      "1000, 1, 524",
      "1000, 3, 1540",
  })
  void promptEstimateIsTheDocumentedUpperBound(int chars, int messages, int expected) {
    assertEquals(expected, BudgetGate.promptTokensUpperBound(chat("x".repeat(chars), messages,
        null)));
  }

  @ParameterizedTest(name = "{0} chars")
  @CsvSource({"40", "4000", "400000"})
  void estimateIsAtLeastTheFourCharactersPerTokenCountProvidersReport(int chars) {
    int providerCount = (chars + 3) / 4;
    assertTrue(BudgetGate.promptTokensUpperBound(chat("y".repeat(chars), 1, null))
        >= providerCount);
  }

  @ParameterizedTest(name = "tools add {0}")
  @CsvSource({"10"})
  void toolDefinitionsCountTowardsThePrompt(int extra) {
    int without = BudgetGate.promptTokensUpperBound(chat("hi", 1, null));
    int with = BudgetGate.promptTokensUpperBound(chat("hi", 1,
        List.of(new ToolDef("abcde", "fghij", "klmnopqrst"))));
    assertEquals(without + extra, with);
  }

  @ParameterizedTest(name = "max tokens {0}")
  @CsvSource({"1", "4096"})
  void theReservedCapBecomesTheCallsMaxTokens(int cap) {
    ChatRequest capped = BudgetGate.withMaxTokens(chat("hi", 2, null), cap);
    assertEquals(cap, capped.maxTokens());
    assertEquals(2, capped.messages().size());
  }
}
