package io.tiermesh.router.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.ToolDef;
import java.util.List;
import org.junit.jupiter.api.Test;

class FactsExtractorTest {

  private final FactsExtractor extractor = new FactsExtractor();

  private static ChatRequest chat(String model, String text, List<ToolDef> tools,
      boolean stream) {
    return new ChatRequest(model, List.of(ChatMessage.of("user", text)), null, null, null, null,
        tools, null, null, null, stream);
  }

  @Test
  void fillsDefaultsAndEstimatesComplexity() {
    RequestFacts f = extractor.extract(chat(null, "Prove it step by step. " + "x".repeat(377),
        null, false), null, null);
    assertEquals(new RequestFacts("public", "chat", "standard", "medium", 1, 100, "auto",
        "default", false, false), f);
  }

  @Test
  void hintsWinOverEstimates() {
    RoutingHints hints = new RoutingHints("pii", "code", "critical", "low", 12);
    List<ToolDef> tools = List.of(new ToolDef("f", "d", "{\"type\":\"object\"}"));
    RequestFacts f = extractor.extract(chat("tier-2", "Prove and analyze and compare", tools,
        true), hints, "acme");
    assertEquals(new RequestFacts("pii", "code", "critical", "low", 12,
        (29 + 1 + 1 + 17) / 4, "tier-2", "acme", true, true), f);
  }

  @Test
  void rejectsValuesOutsideTheAllowedSets() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> extractor.extract(chat("auto", "hi", null, false),
            new RoutingHints(null, null, "ultra", null, null), "t"));
    assertEquals("quality: 'ultra' is not one of [low, standard, high, critical]",
        e.getMessage());
  }

  @Test
  void embeddingsAreAlwaysTheEmbeddingTask() {
    RequestFacts f = extractor.extractEmbedding("auto", List.of("a".repeat(40), "b"),
        new RoutingHints("hipaa", "chat", null, null, null), "t");
    assertEquals(new RequestFacts("hipaa", "embedding", "standard", "low", 2, 10, "auto", "t",
        false, false), f);
  }
}
