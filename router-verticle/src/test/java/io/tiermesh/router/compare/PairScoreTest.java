package io.tiermesh.router.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ToolCall;
import java.util.List;
import org.junit.jupiter.api.Test;

class PairScoreTest {

  static ChatResponse text(String s) {
    return new ChatResponse("c", 1L, "m", ChatMessage.of("assistant", s), "stop", null);
  }

  static ChatResponse tool(String name, String args) {
    return new ChatResponse("c", 1L, "m", new ChatMessage("assistant", null, null, null,
        List.of(new ToolCall("call_1", name, args)), null), "tool_calls", null);
  }

  @Test
  void equalTextsUpToCaseSpacingAndPunctuationAgreeFully() {
    PairScore s = PairScore.of(text("The answer is 42."), text("the  answer is 42"));
    assertTrue(s.exact());
    assertEquals(1.0, s.similarity(), 1e-9);
    assertEquals(1.0, s.agreement(), 1e-9);
    assertNull(s.json());
    assertNull(s.tools());
  }

  @Test
  void differentTextsScoreTheirSharedTokens() {
    PairScore s = PairScore.of(text("paris is the capital of france"),
        text("the capital of france is lyon"));
    assertFalse(s.exact());
    // 5 of 6 tokens shared each way: F1 = 5/6.
    assertEquals(5.0 / 6, s.similarity(), 1e-9);
    assertEquals(29.0 / 30, s.lengthRatio(), 1e-9);
    PairScore none = PairScore.of(text("yes"), text("completely unrelated words"));
    assertEquals(0.0, none.similarity(), 1e-9);
    assertEquals(26.0 / 3, none.lengthRatio(), 1e-9);
  }

  @Test
  void jsonAnswersAreCheckedForValidityAndShape() {
    PairScore same = PairScore.of(text("{\"city\":\"Paris\",\"pop\":2100000}"),
        text("```json\n{\"pop\": 2165423, \"city\": \"Paris\"}\n```"));
    assertTrue(same.json());
    assertTrue(same.schema());
    PairScore broken = PairScore.of(text("{\"city\":\"Paris\"}"), text("{\"city\": \"Par"));
    assertFalse(broken.json());
    assertNull(broken.schema());
    PairScore otherShape = PairScore.of(text("{\"city\":\"Paris\"}"),
        text("{\"city\":[\"Paris\"]}"));
    assertTrue(otherShape.json());
    assertFalse(otherShape.schema());
    // The JSON check weighs as much as the text: invalid JSON halves the agreement at least.
    assertTrue(broken.agreement() <= 0.5, broken.toString());
  }

  @Test
  void toolCallsAgreeOnNameAndArgumentsWhateverTheirSpacingOrOrder() {
    PairScore same = PairScore.of(tool("lookup", "{\"q\":\"x\",\"n\":1}"),
        tool("lookup", "{ \"n\": 1, \"q\": \"x\" }"));
    assertTrue(same.tools());
    assertEquals(1.0, same.agreement(), 1e-9);
    assertFalse(PairScore.of(tool("lookup", "{\"q\":\"x\"}"), tool("search", "{\"q\":\"x\"}"))
        .tools());
    assertFalse(PairScore.of(tool("lookup", "{\"q\":\"x\"}"), tool("lookup", "{\"q\":\"y\"}"))
        .tools());
    PairScore textInstead = PairScore.of(tool("lookup", "{}"), text("I would look it up"));
    assertFalse(textInstead.tools());
    assertEquals(0.0, textInstead.agreement(), 1e-9);
  }
}
