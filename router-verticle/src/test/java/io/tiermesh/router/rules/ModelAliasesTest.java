package io.tiermesh.router.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelAliasesTest {

  private final ModelAliases aliases = new ModelAliases(Map.of("gpt-4o-mini", "tier-2"),
      List.of(ModelAliases.Glob.of("gpt-4o*", "tier-3"), ModelAliases.Glob.of("*-embed*", "auto"),
          ModelAliases.Glob.of("claude-*", "auto")));

  @Test
  void exactNamesWinThenPatternsInOrder() {
    assertEquals("tier-2", aliases.resolve("gpt-4o-mini"));
    assertEquals("tier-3", aliases.resolve("gpt-4o"));
    assertEquals("tier-3", aliases.resolve("gpt-4o-2024-08-06"));
    assertEquals("auto", aliases.resolve("claude-opus-5-5"));
    assertEquals("auto", aliases.resolve("nomic-embed-text"));
  }

  @Test
  void patternsMatchWholeNamesAndQuoteEverythingButTheStar() {
    assertNull(aliases.resolve("xclaude-3"), "a pattern anchors at both ends");
    assertNull(aliases.resolve("claude"));
    assertNull(new ModelAliases(Map.of(), List.of(ModelAliases.Glob.of("gpt-4.1*", "auto")))
        .resolve("gpt-4x1"), "a dot is a dot");
  }

  /**
   * The setting for names no alias matches: a 404 by default, or {@code auto} when the models
   * section ends with the pattern {@code "*"}, which the earlier entries still win over.
   */
  @Test
  void aFinalStarRoutesEveryOtherNameAsAuto() {
    ModelAliases catchAll = new ModelAliases(Map.of("mistral-large", "tier-3"),
        List.of(ModelAliases.Glob.of("claude-*", "tier-2"), ModelAliases.Glob.of("*", "auto")));
    assertEquals("tier-3", catchAll.resolve("mistral-large"));
    assertEquals("tier-2", catchAll.resolve("claude-opus-5-5"));
    assertEquals("auto", catchAll.resolve("some-model-nobody-configured"));
    assertNull(aliases.resolve("some-model-nobody-configured"), "without it: no alias, a 404");
  }
}
